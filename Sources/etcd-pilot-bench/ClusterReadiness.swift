import EtcdClient
import Foundation
import Logging

/// The one definition of "healthy" that both sides of the lifecycle benchmark are timed against:
/// the members are exactly the expected endpoints, every one a started voter, and every endpoint
/// answers a linearizable read (what `etcdctl endpoint health` checks).
enum ClusterReadiness {
  /// Whether the cluster at `endpoints` is healthy now. A fresh client per check, so a member
  /// that just came back is seen at once, not after a reconnect backoff.
  static func isHealthy(_ endpoints: [EtcdEndpoint], logger: Logger) async -> Bool {
    let expected = Set(endpoints.map(\.description))
    do {
      return try await withEtcdClient(
        EtcdClientConfiguration(endpoints: endpoints, callTimeout: .milliseconds(800)), logger: logger
      ) { etcd in
        let members = try await etcd.memberList().members
        let advertised = Set(members.flatMap(\.clientURLs))
        guard members.count == endpoints.count, advertised == expected, members.allSatisfy({ !$0.isLearner }) else {
          return false
        }
        for endpoint in endpoints { _ = try await etcd.pinned(to: endpoint).get("etcd-pilot-bench/health") }
        return true
      }
    } catch {
      return false
    }
  }

  /// Polls every 50 ms until the cluster is healthy; returns the time since `start`.
  static func wait(
    for endpoints: [EtcdEndpoint], since start: ContinuousClock.Instant, timeout: Duration, what: String,
    logger: Logger
  ) async throws -> Duration {
    let clock = ContinuousClock()
    while clock.now - start < timeout {
      if await isHealthy(endpoints, logger: logger) { return clock.now - start }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw BenchError(
      "\(what): the cluster at \(endpoints.map(\.description).joined(separator: ",")) was not healthy within \(timeout)"
    )
  }

  /// The endpoint of a member that is not the leader.
  static func follower(among endpoints: [EtcdEndpoint], logger: Logger) async throws -> Int {
    try await withEtcdClient(EtcdClientConfiguration(endpoints: endpoints, callTimeout: .seconds(2)), logger: logger) {
      etcd in
      for (index, endpoint) in endpoints.enumerated() {
        let status = try await etcd.pinned(to: endpoint).status()
        if status.leader != status.header.memberID { return index }
      }
      throw BenchError("no follower among \(endpoints.map(\.description))")
    }
  }
}
