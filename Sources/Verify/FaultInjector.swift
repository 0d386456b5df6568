import EtcdClient
import Foundation
import LocalCluster
import Membership
import Pilot

#if canImport(Glibc)
import Glibc
#endif

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
  func runningPID(
    _ ordinal: Int, besides previous: Int32? = nil, timeout: Duration = .seconds(120)
  ) async throws -> Int32 {
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
    for ordinal in ordinals {
      try await control.send("POST", "/kill", query: ["ordinal": "\(ordinal)", "signal": signal])
    }
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

  /// What pod 0's pilot says it needs a person for, if anything.
  func operatorNeeded() async -> String? {
    await PilotStatusFetch.status(at: config.pilotURL(0), tls: config.clientTLS)?.operatorNeeded
  }

  /// Heals after a crash during a scale-down to one member. The remaining member may refuse to
  /// continue alone (it could lose an acknowledged write) and ask for a person: that is a
  /// failure of the run, with the pilot's reason; the harness never does it for the agent.
  func healStranded(timeout: Duration) async throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    while true {
      do {
        _ = try await heal(replicas: 1, timeout: .seconds(10))
        return clock.now - start
      } catch {
        if let reason = await operatorNeeded() {
          throw VerifyFailure("\(config.podName(0)) asks for a person: \(reason)")
        }
        if clock.now - start >= timeout { throw error }
      }
    }
  }

  /// The processes of pod `ordinal` (its pilot and everything under it), from /proc.
  func processes(of ordinal: Int) async throws -> [Int32] {
    ProcessTree.descendants(of: try await runningPID(ordinal))
  }

  /// The etcd process pod `ordinal`'s pilot runs.
  func etcdProcess(of ordinal: Int) async throws -> Int32 {
    guard let pid = try await processes(of: ordinal).dropFirst().first(where: { ProcessTree.name(of: $0) == "etcd" })
    else {
      throw VerifyFailure("pod \(config.podName(ordinal)) runs no etcd")
    }
    return pid
  }

  /// Applies a planned fault; returns the replica count afterwards, the time it took to heal,
  /// and what an operator had to do for it, if the agent asked.
  func apply(_ plan: FaultPlan, healTimeout: Duration) async throws -> (replicas: Int, heal: Duration) {
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
      try await scale(target)
      try await Task.sleep(for: plan.hold)
      // The leaving pod (it may already be gone), or the leader doing the removals.
      await crash(plan.crashLeader ? (leader ?? 0) : target)
      if target == 1 { return (target, try await healStranded(timeout: healTimeout)) }
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
    case .frozenMember:
      let pids = try await processes(of: follower)
      for pid in pids { Glibc.kill(pid, SIGSTOP) }
      try? await Task.sleep(for: plan.hold)
      for pid in pids { Glibc.kill(pid, SIGCONT) }
    case .stalledStop:
      // The pod's pilot stops etcd with SIGTERM, waits its grace and must then kill it.
      Glibc.kill(try await etcdProcess(of: follower), SIGSTOP)
      try? await Task.sleep(for: plan.hold)
      try await kill(follower, signal: "TERM")
    case .unreadableVolume:
      let wal = "\(control.layout.volume(config.podName(follower)))/etcd/member/wal"
      guard rename(wal, wal + ".unreadable") == 0 else {
        throw VerifyFailure("cannot hide \(wal): \(String(cString: strerror(errno)))")
      }
      _ = FileManager.default.createFile(atPath: wal, contents: Data("not a directory".utf8))
      try? await Task.sleep(for: plan.hold)
      unlink(wal)
      guard rename(wal + ".unreadable", wal) == 0 else {
        throw VerifyFailure("cannot restore \(wal): \(String(cString: strerror(errno)))")
      }
    case .recordLost:
      let record = control.layout.recordFile
      guard FileManager.default.fileExists(atPath: record) else {
        throw VerifyFailure("no cluster record at \(record) to delete")
      }
      try FileManager.default.removeItem(atPath: record)
      let healed = try await heal(replicas: target, timeout: healTimeout)
      let clock = ContinuousClock()
      let start = clock.now
      while !FileManager.default.fileExists(atPath: record) {
        guard clock.now - start < healTimeout else {
          throw VerifyFailure("the cluster record was not written again within \(healTimeout)")
        }
        try await Task.sleep(for: .milliseconds(200))
      }
      return (target, healed + (clock.now - start))
    case .clockSkew:
      try ClockSkew.set(plan.clockOffset, pod: config.podName(plan.pod), layout: control.layout)
    case .fillToQuota:
      return (target, try await fillToQuota(replicas: target, healTimeout: healTimeout))
    }
    return (target, try await heal(replicas: target, timeout: healTimeout))
  }
}
