import EtcdClient
import Foundation
import LocalCluster
import Pilot

extension FaultInjector {
  /// The key the fill overwrites: history, never live data, so compaction and defragmentation
  /// give all of it back.
  static let fillKey = "verify/fill"

  /// Overwrites one key with values of 1 MiB until etcd answers NOSPACE, then does nothing:
  /// the pilots must compact, defragment and disarm by themselves. Healed when no alarm is
  /// left, a write is accepted again, and the cluster has converged; returns how long that took
  /// from the alarm.
  func fillToQuota(replicas: Int, healTimeout: Duration) async throws -> Duration {
    guard let text = config.quota, let quota = ByteQuantity.parse(text) else {
      throw VerifyFailure("filling the database to its quota needs a cluster with a known quota (local up --quota)")
    }
    let value = String(repeating: "q", count: 1 << 20)
    // The quota twice over: etcd counts the file, which grows by more than what is written.
    let most = Int(quota >> 20) * 2 + 16
    var raised = false
    for _ in 0..<most {
      do {
        try await etcd.withTimeout(.seconds(30)).put(Self.fillKey, value)
      } catch {
        if error.code == .noSpace {
          raised = true
          break
        }
        // A leader change or a slow member: the fill goes on.
        try await Task.sleep(for: .milliseconds(200))
      }
    }
    guard raised else {
      throw VerifyFailure("\(most) writes of 1 MiB never raised NOSPACE against a quota of \(text)")
    }
    let clock = ContinuousClock()
    let start = clock.now
    while true {
      if let alarms = try? await etcd.withTimeout(.seconds(5)).alarms(), alarms.isEmpty,
        (try? await etcd.withTimeout(.seconds(5)).put(Self.fillKey, "cleared")) != nil
      {
        break
      }
      guard clock.now - start < healTimeout else {
        let alarms = (try? await etcd.withTimeout(.seconds(5)).alarms()) ?? []
        throw VerifyFailure(
          "NOSPACE was not cleared by the pilots within \(healTimeout) (alarms: \(alarms.map { "\($0.kind) on \($0.memberID.etcdHex)" }.joined(separator: ", ")))"
        )
      }
      try await Task.sleep(for: .milliseconds(500))
    }
    let cleared = clock.now - start
    return cleared + (try await heal(replicas: replicas, timeout: healTimeout))
  }
}
