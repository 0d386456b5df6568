import EtcdClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The opening fault of schedule 3 (issue 12, finding 1): the last pod of the bootstrap adopts
/// the marker and its whole pod stops dead (a node lost) before its member starts; the others
/// form a quorum and take writes. Past the pilots' bootstrap timeout, etcd-1's etcd is killed:
/// nothing may give that cluster up. Then the frozen pod returns and the cluster converges.
public struct AbsentBootstrapMember: Sendable {
  public static let title =
    "a bootstrap member absent past the bootstrap timeout, then SIGKILL of another member's etcd"
  /// The pod's processes, stopped.
  public var frozen: [Int32]
  /// When the pod was frozen (the marker was just proposed).
  public var frozenAt: ContinuousClock.Instant
  public var bootstrapTimeout: Duration
  /// Waits for `local up` to report the cluster converged.
  public var converged: @Sendable () async throws -> Void

  public init(
    frozen: [Int32], frozenAt: ContinuousClock.Instant, bootstrapTimeout: Duration,
    converged: @escaping @Sendable () async throws -> Void
  ) {
    self.frozen = frozen
    self.frozenAt = frozenAt
    self.bootstrapTimeout = bootstrapTimeout
    self.converged = converged
  }

  /// Freezes pod `ordinal` of the cluster `up` is forming the moment its volume holds the
  /// bootstrap marker.
  public static func freezeAtMarker(
    volume: String, pid: @Sendable () async throws -> Int32?, timeout: Duration
  ) async throws -> [Int32] {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if let notes = FileManager.default.contents(atPath: "\(volume)/pilot.json"),
        String(decoding: notes, as: UTF8.self).contains("\"marker\""),
        let pid = try await pid()
      {
        let processes = ProcessTree.descendants(of: pid)
        for process in processes { kill(process, SIGSTOP) }
        return processes
      }
      try await Task.sleep(for: .milliseconds(5))
    }
    throw VerifyFailure("the pod at \(volume) did not adopt a bootstrap marker within \(timeout)")
  }

  func carryOut(
    _ injector: FaultInjector, replicas: Int, healTimeout: Duration, say: @Sendable (String) -> Void
  ) async throws -> Duration {
    defer { for process in frozen { kill(process, SIGCONT) } }
    let clock = ContinuousClock()
    // Past the timeout, with a margin: the pilots' clocks start when they see the marker.
    let due = frozenAt + bootstrapTimeout + .seconds(5)
    if clock.now < due { try await Task.sleep(until: due, clock: clock) }
    let start = clock.now
    kill(try await injector.etcdProcess(of: 1), SIGKILL)
    // The two must serve again on their own, before the third returns.
    let deadline = clock.now + healTimeout
    while await injector.leader(replicas: replicas) == nil {
      guard clock.now < deadline else { throw VerifyFailure("the two members never served again after the kill") }
      try await Task.sleep(for: .milliseconds(200))
    }
    say("  the two members serve again; the frozen pod returns")
    for process in frozen { kill(process, SIGCONT) }
    try await converged()
    _ = try await injector.heal(replicas: replicas, timeout: healTimeout)
    return clock.now - start
  }
}
