import ChildProcess
import Foundation
import Logging
import Membership
import Pilot

/// The local StatefulSet: pods are `etcd-pilot member` processes, each with its own loopback
/// address; volumes are folders that outlive pod restarts. It behaves like a StatefulSet
/// controller and a kubelet together: Parallel pod management, restarts with backoff, scale-down
/// by SIGTERM to the highest ordinals and SIGKILL after the grace period.
public actor LocalStatefulSet {
  /// One ordinal's pod.
  struct Slot {
    var process: ChildProcess?
    var uid = UUID().uuidString.lowercased()
    var terminatingSince: ContinuousClock.Instant?
    var startedAt: ContinuousClock.Instant?
    var restarts = 0
    var nextStart = ContinuousClock.now
    var lastExit: String?
    /// Not restarted before this (a held-down pod).
    var holdUntil: ContinuousClock.Instant?
  }

  let layout: LocalClusterLayout
  let config: LocalClusterConfig
  let pilotBinary: String
  let logger: Logger
  private var slots: [Int: Slot] = [:]
  private var replicas: Int
  private var generation: Int
  private var deleting = false
  private var finished = false

  public init(layout: LocalClusterLayout, config: LocalClusterConfig, replicas: Int, pilotBinary: String, logger: Logger) {
    self.layout = layout
    self.config = config
    self.replicas = replicas
    self.pilotBinary = pilotBinary
    self.logger = logger
    generation = (LocalStatefulSetFile.read(layout.statefulSetFile)?.generation ?? 0) + 1
    // Slow scheduling of some pods, on request (tests of the bootstrap with late pods).
    for (ordinal, seconds) in config.startDelays {
      var slot = Slot()
      slot.nextStart = .now + .milliseconds(Int64(seconds * 1000))
      slots[ordinal] = slot
    }
  }

  /// Reconciles every 200 ms until ``down()`` has stopped every pod.
  public func run() async {
    for directory in ["\(layout.directory)/volumes", "\(layout.directory)/logs"] {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    writeFile()
    while !finished {
      await reconcile()
      try? await Task.sleep(for: .milliseconds(200))
    }
  }

  private func reconcile() async {
    let now = ContinuousClock.now
    for ordinal in slots.keys.sorted() {
      guard var slot = slots[ordinal], let process = slot.process, !process.isRunning else { continue }
      let termination = await process.wait()
      slot.process = nil
      if slot.terminatingSince != nil || ordinal >= replicas || deleting {
        logger.info("\(config.podName(ordinal)) ended (\(termination))")
        slots[ordinal] = nil
        writeFile()
        continue
      }
      // A crash: restart like a kubelet, with a backoff that grows and resets after a good run.
      let ranFor = slot.startedAt.map { now - $0 } ?? .zero
      if ranFor > .seconds(30) { slot.restarts = 0 }
      slot.restarts += 1
      let backoff = Duration.milliseconds(min(500 * (1 << min(slot.restarts - 1, 5)), 10_000))
      slot.nextStart = max(now + backoff, slot.holdUntil ?? now)
      slot.lastExit = "\(termination)"
      logger.info("\(config.podName(ordinal)) ended (\(termination)); restarting in \(backoff)")
      slots[ordinal] = slot
    }
    guard !deleting else { return }
    for ordinal in 0..<replicas {
      let slot = slots[ordinal] ?? Slot()
      if slot.process == nil, ContinuousClock.now >= slot.nextStart { await start(ordinal, slot) }
    }
    for (ordinal, slot) in slots where ordinal >= replicas {
      if slot.terminatingSince == nil, let process = slot.process {
        // A pod above the count: SIGTERM to its pilot only (as Kubernetes signals PID 1).
        process.signal(SIGTERM)
        slots[ordinal]?.terminatingSince = now
        logger.info("\(config.podName(ordinal)) terminating: scaled to \(replicas)")
        writeFile()
      } else if let since = slot.terminatingSince, now - since > .seconds(config.gracePeriodSeconds) {
        slot.process?.signalGroup(SIGKILL)
        logger.warning("\(config.podName(ordinal)) killed: grace period of \(config.gracePeriodSeconds)s ended")
      } else if slot.process == nil {
        slots[ordinal] = nil
        writeFile()
      }
    }
  }

  private func start(_ ordinal: Int, _ previous: Slot) async {
    var slot = previous
    slot.uid = UUID().uuidString.lowercased()
    let name = config.podName(ordinal)
    var arguments = [
      "member", "--name", name, "--namespace", config.namespace, "--uid", slot.uid,
      "--host-template", "\(config.addressBase).{ordinal+\(config.firstHost)}",
      "--listen-host", config.address(ordinal),
      "--client-port", String(config.clientPort), "--peer-port", String(config.peerPort),
      "--pilot-port", String(config.pilotPort),
      "--data-dir", layout.volume(name), "--etcd", config.etcd,
      "--replicas-from", "file:\(layout.statefulSetFile)", "--cluster-record", "file:\(layout.recordFile)",
      "--poll-interval", config.pollInterval,
    ]
    if config.proxies { arguments += ["--peer-listen-port", String(config.peerListenPort)] }
    if !config.etcdArguments.isEmpty { arguments += ["--"] + config.etcdArguments }
    do {
      slot.process = try await ChildProcess.start(
        pilotBinary, arguments: arguments, logFile: layout.log(name), newProcessGroup: true)
      slot.startedAt = .now
      slot.terminatingSince = nil
      logger.info("\(name) started (pid \(slot.process?.pid ?? 0)) at \(config.address(ordinal))")
    } catch {
      slot.nextStart = .now + .seconds(2)
      logger.error("cannot start \(name): \(error)")
    }
    slots[ordinal] = slot
    writeFile()
  }

  /// The state file every pilot reads its desired count and pod phases from.
  private func writeFile() {
    let highest = max(replicas, (slots.keys.max() ?? -1) + 1)
    let pods = (0..<highest).compactMap { ordinal -> LocalStatefulSetFile.Pod? in
      let slot = slots[ordinal]
      let state: PodPhase.State =
        if let slot, slot.terminatingSince != nil { .terminating } else if ordinal < replicas { .running } else { .absent }
      return .init(name: config.podName(ordinal), ordinal: ordinal, uid: slot?.uid ?? "", state: state)
    }
    let file = LocalStatefulSetFile(
      name: config.statefulSet, namespace: config.namespace, replicas: replicas, generation: generation,
      observedGeneration: generation, deleting: deleting, pods: pods)
    do { try file.write(layout.statefulSetFile) } catch { logger.error("cannot write \(layout.statefulSetFile): \(error)") }
  }

  // MARK: Control

  /// Changes the desired count; the next reconcile starts or terminates pods.
  public func scale(to count: Int) throws(LocalClusterError) {
    guard count >= 0 else { throw LocalClusterError("replicas \(count) is negative: give 0 or more") }
    guard count <= config.maximumReplicas else {
      throw LocalClusterError("replicas \(count) is more than the \(config.maximumReplicas) addresses of \(config.addressBase).*")
    }
    guard count != replicas else { return }
    logger.info("scaling from \(replicas) to \(count)")
    replicas = count
    generation += 1
    writeFile()
  }

  /// Kills a pod as `kill -9` of its container (SIGKILL to pilot and etcd) or deletes it
  /// gracefully (SIGTERM to its pilot); it is started again like a kubelet would.
  ///
  /// With `hold`, the pod stays down that long first (a node that is gone for a while).
  public func kill(_ ordinal: Int, signal: Int32, hold: Duration = .zero) throws(LocalClusterError) {
    guard let slot = slots[ordinal], let process = slot.process else {
      throw LocalClusterError("pod \(config.podName(ordinal)) is not running")
    }
    if signal == SIGKILL { process.signalGroup(SIGKILL) } else { process.signal(signal) }
    slots[ordinal]?.nextStart = .now + max(hold, .milliseconds(500))
    slots[ordinal]?.holdUntil = hold > .zero ? .now + hold : nil
    logger.info("sent \(ChildProcess.signalName(signal)) to \(config.podName(ordinal))")
  }

  /// A lost disk: the pod is killed and its volume deleted; it comes back empty.
  public func wipe(_ ordinal: Int) async throws(LocalClusterError) {
    let name = config.podName(ordinal)
    if let process = slots[ordinal]?.process {
      process.signalGroup(SIGKILL)
      await process.wait()
      slots[ordinal]?.process = nil
    }
    do {
      if FileManager.default.fileExists(atPath: layout.volume(name)) {
        try FileManager.default.removeItem(atPath: layout.volume(name))
      }
    } catch {
      throw LocalClusterError("cannot delete the volume of \(name): \(error)")
    }
    slots[ordinal]?.nextStart = .now
    logger.warning("wiped \(name): pod killed and its volume deleted (a lost disk)")
  }

  /// Deletes the StatefulSet: pilots see it going (a pause: nothing removed, data kept), get
  /// SIGTERM, and are killed after the grace period.
  public func down() async {
    deleting = true
    writeFile()
    logger.info("stopping every pod; data is kept")
    for slot in slots.values { slot.process?.signal(SIGTERM) }
    let deadline = ContinuousClock.now + .seconds(config.gracePeriodSeconds)
    while slots.values.contains(where: { $0.process?.isRunning == true }), ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(100))
    }
    for slot in slots.values where slot.process?.isRunning == true { slot.process?.signalGroup(SIGKILL) }
    for slot in slots.values { await slot.process?.wait() }
    slots.removeAll()
    finished = true
  }

  /// What `local status` shows of each pod.
  public struct PodSnapshot: Sendable, Codable, Hashable {
    public var name: String
    public var ordinal: Int
    public var state: String
    public var pid: Int32?
    public var restarts: Int
    public var lastExit: String?
    public var address: String
    public var clientURL: String
    public var peerURL: String
    public var pilotURL: String
  }

  public func snapshot() -> (replicas: Int, pods: [PodSnapshot]) {
    let ordinals = Set(slots.keys).union(0..<replicas).sorted()
    let pods = ordinals.map { ordinal in
      let slot = slots[ordinal]
      let state =
        if slot?.terminatingSince != nil { "terminating" } else if slot?.process?.isRunning == true { "running" } else {
          ordinal < replicas ? "restarting" : "absent"
        }
      return PodSnapshot(
        name: config.podName(ordinal), ordinal: ordinal, state: state, pid: slot?.process?.pid,
        restarts: slot?.restarts ?? 0, lastExit: slot?.lastExit, address: config.address(ordinal),
        clientURL: config.clientURL(ordinal), peerURL: config.peerURL(ordinal), pilotURL: config.pilotURL(ordinal))
    }
    return (replicas, pods)
  }

  /// The pilot process of each running pod (its etcd is a child of it), for the peer proxies.
  public func podProcesses() -> [String: Int32] {
    var result: [String: Int32] = [:]
    for (ordinal, slot) in slots { if let pid = slot.process?.pid { result[config.podName(ordinal)] = pid } }
    return result
  }
}
