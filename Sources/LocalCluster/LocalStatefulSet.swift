import ChildProcess
import Foundation
import LocalPlatform
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
    /// Probe state (chart pods): started (startup probe passed), ready, and failures in a row.
    var probes = ProbeState()
    var livenessKill: ContinuousClock.Instant?
  }

  /// How pods are made: the pilot's own command line (`local up`), or a rendered chart's pod
  /// template (the chart run for real).
  enum PodMode: Sendable {
    case pilot
    case chart(ChartPods)
  }

  let layout: LocalClusterLayout
  let config: LocalClusterConfig
  let pilotBinary: String
  let logger: Logger
  let mode: PodMode
  private var slots: [Int: Slot] = [:]
  private var replicas: Int
  private var generation: Int
  private var deleting = false
  private var deleted = false
  private var finished = false

  init(
    layout: LocalClusterLayout, config: LocalClusterConfig, replicas: Int, pilotBinary: String, mode: PodMode = .pilot,
    logger: Logger
  ) {
    self.mode = mode
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
      await probe()
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
      // Starting a pod suspends this loop: a `down` (a SIGTERM) may have begun meanwhile.
      guard !deleting else { return }
      let slot = slots[ordinal] ?? Slot()
      if slot.process == nil, ContinuousClock.now >= slot.nextStart { await start(ordinal, slot) }
    }
    for (ordinal, slot) in slots where ordinal >= replicas {
      if slot.terminatingSince == nil, let process = slot.process {
        // A pod above the count: SIGTERM to its pilot only (as Kubernetes signals PID 1).
        slots[ordinal]?.terminatingSince = now
        await preStop(ordinal, process)
        process.signal(SIGTERM)
        logger.info("\(config.podName(ordinal)) terminating: scaled to \(replicas)")
        writeFile()
      } else if let since = slot.terminatingSince, now - since > .seconds(gracePeriodSeconds) {
        slot.process?.signalGroup(SIGKILL)
        logger.warning("\(config.podName(ordinal)) killed: grace period of \(gracePeriodSeconds)s ended")
      } else if slot.process == nil {
        slots[ordinal] = nil
        writeFile()
      }
    }
  }

  private func start(_ ordinal: Int, _ previous: Slot) async {
    var slot = previous
    slot.uid = UUID().uuidString.lowercased()
    slot.probes = ProbeState()
    slot.livenessKill = nil
    let name = config.podName(ordinal)
    do {
      // A pod dies with its supervisor: SIGTERM, a pod's ordinary stop, when this process
      // ends however it ends (SIGKILL included), so no pilot or etcd outlives it.
      let clock =
        config.clockSkew == true
        ? try ClockSkew.environment(offsetFile: ClockSkew.offsetFile(pod: name, layout: layout)) : [:]
      switch mode {
      case .pilot:
        slot.process = try await ChildProcess.start(
          pilotBinary, arguments: pilotArguments(ordinal), environment: clock.mapValues { Optional($0) },
          logFile: layout.log(name), newProcessGroup: true, deathSignal: SIGTERM)
      case .chart(let chart):
        let launch = try chart.launch(ordinal: ordinal, uid: slot.uid)
        slot.process = try await ChildProcess.start(
          launch.executable, arguments: launch.arguments,
          environment: launch.environment.merging(clock) { $1 }.mapValues { Optional($0) },
          inheritEnvironment: false, logFile: layout.log(name), newProcessGroup: true, deathSignal: SIGTERM)
      }
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

  /// The pod's command line in `local up` mode.
  private func pilotArguments(_ ordinal: Int) -> [String] {
    let name = config.podName(ordinal)
    var arguments = [
      "member", "--name", name, "--namespace", config.namespace, "--uid", slots[ordinal]?.uid ?? UUID().uuidString,
      "--host-template", "\(config.addressBase).{ordinal+\(config.firstHost)}",
      "--listen-host", config.address(ordinal),
      "--client-port", String(config.clientPort), "--peer-port", String(config.peerPort),
      "--pilot-port", String(config.pilotPort),
      "--data-dir", layout.volume(name), "--etcd", config.etcd,
      "--replicas-from", "file:\(layout.statefulSetFile)", "--cluster-record", "file:\(layout.recordFile)",
      "--poll-interval", config.pollInterval,
      // A local cluster is small and its faults are frequent: compare the members' data often.
      "--consistency-check-interval", config.consistencyCheckInterval ?? "15s",
    ]
    if config.proxies { arguments += ["--peer-listen-port", String(config.peerListenPort)] }
    if let tls = config.tlsDirectory { arguments += ["--tls-ca-dir", tls] + config.tlsPodArguments }
    if let password = config.rootPasswordFile { arguments += ["--auth-password-file", password] }
    arguments += config.spaceArguments
    arguments += config.pilotArguments ?? []
    if !config.etcdArguments.isEmpty { arguments += ["--"] + config.etcdArguments }
    return arguments
  }

  /// The grace period a terminating pod gets before SIGKILL.
  var gracePeriodSeconds: Int {
    if case .chart(let chart) = mode { return chart.gracePeriodSeconds }
    return config.gracePeriodSeconds
  }

  /// Runs the container's preStop hook, if it has one, before the pod gets SIGTERM.
  private func preStop(_ ordinal: Int, _ process: ChildProcess) async {
    guard case .chart(let chart) = mode, let hook = chart.container.lifecycle?.preStop else { return }
    if let command = hook.exec?.command, !command.isEmpty {
      // In the pod's own mount namespace, as the kubelet runs it inside the container.
      let hookProcess = try? await ChildProcess.start(
        "/usr/bin/nsenter", arguments: ["--target", String(process.pid), "--mount", "--"] + command,
        logFile: layout.log(config.podName(ordinal)))
      if let hookProcess { await hookProcess.stop(signal: SIGTERM, grace: .seconds(gracePeriodSeconds)) }
    } else if let get = hook.httpGet, let port = chart.container.port(get.port) {
      _ = await ProbeRunner.get(
        get.url(address: config.address(ordinal), port: port), timeout: .seconds(gracePeriodSeconds))
    }
    logger.info("\(config.podName(ordinal)): preStop hook done")
  }

  /// The state file every pilot reads its desired count and pod phases from, and the record
  /// of the pods' process groups (for finding them should this supervisor die).
  private func writeFile() {
    var records: [String: ClusterProcesses.Record] = [:]
    for (ordinal, slot) in slots {
      guard let pid = slot.process?.pid, let stat = ClusterProcesses.stat(pid) else { continue }
      records[config.podName(ordinal)] = .init(pid: pid, startTime: stat.startTime)
    }
    do { try ClusterProcesses.write(records, to: layout) } catch {
      logger.error("cannot record the pods' processes: \(error)")
    }
    let highest = max(replicas, (slots.keys.max() ?? -1) + 1)
    let pods = (0..<highest).compactMap { ordinal -> LocalStatefulSetFile.Pod? in
      let slot = slots[ordinal]
      let state: PodPhase.State =
        if let slot, slot.terminatingSince != nil {
          .terminating
        } else if ordinal < replicas {
          // Not started yet, or between restarts: as a Pending pod in Kubernetes.
          slot?.process == nil ? .pending : .running
        } else {
          .absent
        }
      return .init(name: config.podName(ordinal), ordinal: ordinal, uid: slot?.uid ?? "", state: state)
    }
    let file = LocalStatefulSetFile(
      name: config.statefulSet, namespace: config.namespace, replicas: replicas, generation: generation,
      observedGeneration: generation, deleting: deleting, pods: pods)
    do { try file.write(layout.statefulSetFile) } catch {
      logger.error("cannot write \(layout.statefulSetFile): \(error)")
    }
  }

  // MARK: Control

  /// Changes the desired count; the next reconcile starts or terminates pods.
  public func scale(to count: Int) throws(LocalClusterError) {
    guard count >= 0 else { throw LocalClusterError("replicas \(count) is negative: give 0 or more") }
    guard count <= config.maximumReplicas else {
      throw LocalClusterError(
        "replicas \(count) is more than the \(config.maximumReplicas) addresses of \(config.addressBase).*")
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
    try checkPod(ordinal)
    guard let slot = slots[ordinal], let process = slot.process else {
      throw LocalClusterError("pod \(config.podName(ordinal)) is not running")
    }
    if signal == SIGKILL { process.signalGroup(SIGKILL) } else { process.signal(signal) }
    slots[ordinal]?.nextStart = .now + max(hold, .milliseconds(500))
    slots[ordinal]?.holdUntil = hold > .zero ? .now + hold : nil
    logger.info("sent \(ChildProcess.signalName(signal)) to \(config.podName(ordinal))")
  }

  /// Throws unless pod `ordinal` is one of the StatefulSet's (0 up to its replica count).
  func checkPod(_ ordinal: Int) throws(LocalClusterError) {
    guard (0..<replicas).contains(ordinal) || slots[ordinal]?.process != nil else {
      let pods =
        replicas == 0
        ? "no pods (scaled to 0)" : "\(replicas) pods, \(config.podName(0))…\(config.podName(replicas - 1))"
      throw LocalClusterError("pod \(config.podName(ordinal)) does not exist: the StatefulSet has \(pods)")
    }
  }

  /// A lost disk: the pod is killed and its volume deleted; it comes back empty.
  public func wipe(_ ordinal: Int) async throws(LocalClusterError) {
    try checkPod(ordinal)
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
    // A start under way when `down` began may still add a pod: every pod seen running gets its
    // SIGTERM, not only those of the first look.
    var signalled = await terminate(alreadySignalled: [])
    let deadline = ContinuousClock.now + .seconds(gracePeriodSeconds)
    while slots.values.contains(where: { $0.process?.isRunning == true }), ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(100))
      signalled = await terminate(alreadySignalled: signalled)
    }
    for slot in slots.values where slot.process?.isRunning == true { slot.process?.signalGroup(SIGKILL) }
    for slot in slots.values { await slot.process?.wait() }
    slots.removeAll()
    deleted = true
    finished = true
  }

  /// Runs the preStop hook of and sends SIGTERM to every running pod not in
  /// `alreadySignalled` (pilot PIDs); returns the PIDs signalled so far.
  private func terminate(alreadySignalled: Set<Int32>) async -> Set<Int32> {
    var signalled = alreadySignalled
    for (ordinal, slot) in slots {
      guard let process = slot.process, !signalled.contains(process.pid) else { continue }
      signalled.insert(process.pid)
      await preStop(ordinal, process)
      process.signal(SIGTERM)
    }
    return signalled
  }

  /// What the local Kubernetes API shows of the StatefulSet and its pods.
  struct APIView: Sendable {
    struct Pod: Sendable {
      var name: String
      var uid: String
      var terminating: Bool
      /// Not started yet, or between restarts: a Pending pod in Kubernetes.
      var pending: Bool
    }
    var replicas: Int
    var generation: Int
    var deleting: Bool
    var deleted: Bool
    var pods: [Pod]
  }

  func apiView() -> APIView {
    let pods = slots.keys.sorted().compactMap { ordinal -> APIView.Pod? in
      guard let slot = slots[ordinal], slot.process != nil || ordinal < replicas else { return nil }
      return .init(
        name: config.podName(ordinal), uid: slot.uid, terminating: slot.terminatingSince != nil,
        pending: slot.process == nil)
    }
    return APIView(replicas: replicas, generation: generation, deleting: deleting, deleted: deleted, pods: pods)
  }

  // MARK: Probes

  /// Runs the chart pods' probes that are due, as a kubelet would: the startup probe gates the
  /// others; readiness sets the pod's Ready; failed liveness restarts the pod.
  func probe() async {
    guard case .chart(let chart) = mode else { return }
    let now = ContinuousClock.now
    for (ordinal, slot) in slots {
      guard let process = slot.process, process.isRunning, slot.terminatingSince == nil, let startedAt = slot.startedAt
      else { continue }
      var probes = slot.probes
      let address = config.address(ordinal)
      let outcome = await ProbeRunner.run(
        chart.container, address: address, state: &probes, now: now, startedAt: startedAt)
      slots[ordinal]?.probes = probes
      if case .restart(let why) = outcome {
        logger.warning("\(config.podName(ordinal)) \(why): restarting it")
        slots[ordinal]?.terminatingSince = nil
        await preStop(ordinal, process)
        process.signal(SIGTERM)
        slots[ordinal]?.livenessKill = now
      }
    }
    // A pod restarted for liveness gets its grace period, then SIGKILL.
    for slot in slots.values {
      if let since = slot.livenessKill, now - since > .seconds(gracePeriodSeconds), let process = slot.process,
        process.isRunning
      {
        process.signalGroup(SIGKILL)
      }
    }
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
    /// Readiness by the pod's probe (chart pods); nil without one.
    public var ready: Bool?
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
        clientURL: config.clientURL(ordinal), peerURL: config.peerURL(ordinal), pilotURL: config.pilotURL(ordinal),
        ready: slot.flatMap { slot in
          if case .chart(let chart) = mode, chart.container.readinessProbe != nil { return slot.probes.ready }
          return nil
        })
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
