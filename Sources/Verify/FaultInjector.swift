import EtcdClient
import Foundation
import LocalCluster
import Membership

/// Injects faults into a local StatefulSet through its supervisor, as a user would with
/// `etcd-pilot local kill|wipe|scale|partition`.
public struct FaultInjector: Sendable {
  let control: LocalControlClient
  let config: LocalClusterConfig
  let etcd: EtcdClient

  public init(control: LocalControlClient, config: LocalClusterConfig, etcd: EtcdClient) {
    self.control = control
    self.config = config
    self.etcd = etcd
  }

  /// The ordinal of the current leader among the first `replicas` pods, if one answers.
  func leader(replicas: Int) async -> Int? {
    for ordinal in 0..<replicas {
      guard let endpoint = try? EtcdEndpoint(parsing: config.clientURL(ordinal)),
        let status = try? await etcd.pinned(to: endpoint).withTimeout(.seconds(2)).status()
      else { continue }
      if status.isLeader { return ordinal }
    }
    return nil
  }

  /// The pod's process, once it runs (a pod between restarts is waited for).
  func runningPID(_ ordinal: Int, besides previous: Int32? = nil, timeout: Duration = .seconds(120)) async throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      let pod = try await control.status().pods.first { $0.ordinal == ordinal }
      if let pod, pod.state == "running", let pid = pod.pid, pid != previous { return pid }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw LocalClusterError("pod \(config.podName(ordinal)) did not run within \(timeout)")
  }

  /// Signals a running pod and waits until it has been restarted, so that healing is measured
  /// from a fault that took effect.
  func kill(_ ordinal: Int, signal: String = "KILL") async throws {
    let pid = try await runningPID(ordinal)
    try await control.send("POST", "/kill", query: ["ordinal": "\(ordinal)", "signal": signal])
    _ = try await runningPID(ordinal, besides: pid)
  }

  /// Signals pods at once, then waits until each has been restarted.
  func killTogether(_ ordinals: [Int], signal: String = "KILL") async throws {
    var pids: [Int: Int32] = [:]
    for ordinal in ordinals { pids[ordinal] = try await runningPID(ordinal) }
    for ordinal in ordinals { try await control.send("POST", "/kill", query: ["ordinal": "\(ordinal)", "signal": signal]) }
    for ordinal in ordinals { _ = try await runningPID(ordinal, besides: pids[ordinal]) }
  }

  /// A crash in the middle of a change: the pod may be gone or not yet running; best effort.
  func crash(_ ordinal: Int) async {
    _ = try? await control.send("POST", "/kill", query: ["ordinal": "\(ordinal)", "signal": "KILL"])
  }

  func scale(_ replicas: Int) async throws {
    try await control.send("POST", "/scale", query: ["replicas": "\(replicas)"])
  }

  /// Waits until the cluster is back to `replicas` healthy voters; returns how long it took.
  func heal(replicas: Int, timeout: Duration) async throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    _ = try await ClusterConvergence.wait(config: config, replicas: replicas, timeout: timeout) { _ in }
    return clock.now - start
  }

  /// The size of pod 0's pilot log now, to look only at what it writes after a fault.
  func logSize() -> UInt64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: control.layout.log(config.podName(0)))
    return (attributes?[.size] as? UInt64) ?? 0
  }

  /// Whether pod 0's pilot refused to continue alone since its log was `size` long.
  func refusedAlone(since size: UInt64) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: control.layout.log(config.podName(0))) else { return false }
    defer { try? handle.close() }
    try? handle.seek(toOffset: size)
    let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    return text.contains(StrandedDecision.refusalMarker)
  }

  /// Heals after a crash during a scale-down to one member. The remaining member may refuse to
  /// continue alone — its WAL holds entries the dead leader may have committed, which
  /// --force-new-cluster would discard — and ask an operator to scale back to two; then this
  /// does just that, as the pilot's log says, and scales to one again once the two are whole.
  func healStranded(since size: UInt64, timeout: Duration) async throws -> (heal: Duration, remedy: String?) {
    let clock = ContinuousClock()
    let start = clock.now
    do {
      _ = try await heal(replicas: 1, timeout: min(timeout, .seconds(60)))
      return (clock.now - start, nil)
    } catch {
      guard refusedAlone(since: size) else {
        // Not a refusal, only slow: the rest of the heal timeout.
        _ = try await heal(replicas: 1, timeout: timeout - (clock.now - start))
        return (clock.now - start, nil)
      }
      try await scale(2)
      _ = try await heal(replicas: 2, timeout: timeout)
      try await scale(1)
      _ = try await heal(replicas: 1, timeout: timeout)
      return (
        clock.now - start,
        "\(config.podName(0)) would not continue alone (its WAL held entries the dead leader may have committed); scaled back to 2, then to 1, as its log asked"
      )
    }
  }

  /// Applies a planned fault; returns the replica count afterwards, the time it took to heal,
  /// and what an operator had to do for it, if the agent asked.
  func apply(_ plan: FaultPlan, healTimeout: Duration) async throws -> (replicas: Int, heal: Duration, remedy: String?) {
    let replicas = plan.replicas
    let target = plan.target
    let leader = await leader(replicas: replicas)
    // Without a leader answering (rare: the last heal found one), every pod counts as a follower.
    let followers = (0..<replicas).filter { $0 != leader }
    let follower = followers.isEmpty ? 0 : followers[plan.follower % followers.count]
    switch plan.fault {
    case .killFollower: try await kill(follower)
    case .killLeader: try await kill(leader ?? 0)
    case .termFollower: try await kill(follower, signal: "TERM")
    case .termLeader: try await kill(leader ?? 0, signal: "TERM")
    case .killQuorum: try await killTogether(plan.quorum)
    case .termQuorum: try await killTogether(plan.quorum, signal: "TERM")
    case .lostVolume:
      let pid = try await runningPID(follower)
      try await control.send("POST", "/wipe", query: ["ordinal": "\(follower)"])
      _ = try await runningPID(follower, besides: pid)
    case .crashDuringJoin:
      try await scale(target)
      try await Task.sleep(for: plan.hold)
      await crash(target - 1)
    case .crashDuringScaleDown:
      // Down to one member, pod 0's pilot may refuse to continue alone: only what it logs from
      // now on counts.
      let logSize = target == 1 ? logSize() : 0
      try await scale(target)
      try await Task.sleep(for: plan.hold)
      // The leaving pod (it may already be gone), or the leader doing the removals.
      await crash(plan.crashLeader ? (leader ?? 0) : target)
      if target == 1 {
        let (heal, remedy) = try await healStranded(since: logSize, timeout: healTimeout)
        return (target, heal, remedy)
      }
    case .scaleUp, .scaleDown:
      try await scale(target)
    case .scaleToOneAndBack:
      try await scale(1)
      _ = try await heal(replicas: 1, timeout: healTimeout)
      try await scale(replicas)
    case .fullRestart:
      try await killTogether(Array(0..<replicas))
    case .blackhole, .delay, .drop:
      let mode = plan.fault == .blackhole ? "blackhole" : plan.fault == .delay ? "delay" : "drop"
      try await control.send(
        "POST", "/fault", query: ["ordinal": "\(follower)", "mode": mode, "delay": "200", "probability": "0.2"])
      try await Task.sleep(for: plan.hold)
      try await control.send("POST", "/fault", query: ["ordinal": "\(follower)", "mode": "heal"])
    case .rollingRestart:
      for ordinal in (0..<replicas).reversed() {
        try await kill(ordinal, signal: "TERM")
        _ = try await heal(replicas: replicas, timeout: healTimeout)
      }
    }
    return (target, try await heal(replicas: target, timeout: healTimeout), nil)
  }
}
