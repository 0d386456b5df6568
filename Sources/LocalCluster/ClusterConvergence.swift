import EtcdClient
import Foundation
import Logging
import Membership

/// Waits until a local cluster looks the way its StatefulSet says: the member list equals the
/// desired pods, every member a started voter, every member healthy. Says what it waits for.
public enum ClusterConvergence {
  public static func wait(
    config: LocalClusterConfig, replicas: Int, timeout: Duration, say: @Sendable (String) -> Void
  ) async throws -> ClusterHealthReport {
    let expected = Set((0..<replicas).map(config.podName))
    let endpoints = (0..<max(replicas, 8)).compactMap { try? EtcdEndpoint(parsing: config.clientURL($0)) }
    let deadline = ContinuousClock.now + timeout
    var lastReason = ""
    while true {
      let (report, reason) = await check(config: config, endpoints: endpoints, expected: expected, replicas: replicas)
      if let report, reason == nil { return report }
      let text = reason ?? "waiting"
      if text != lastReason {
        say("waiting for: \(text)")
        lastReason = text
      }
      if ContinuousClock.now >= deadline {
        throw LocalClusterError(
          "the cluster did not converge within \(timeout): still \(text); see `etcd-pilot local status`")
      }
      try await Task.sleep(for: .milliseconds(500))
    }
  }

  /// Whether a call without credentials is refused: what a user sees once auth is on (etcd 3.4
  /// has no auth status call).
  static func authIsOn(config: LocalClusterConfig, endpoints: [EtcdEndpoint]) async -> Bool {
    var anonymous =
      (try? config.clientConfiguration(endpoints, callTimeout: .seconds(2))) ?? .init(endpoints: endpoints)
    anonymous.credentials = nil
    do {
      return try await withEtcdClient(anonymous, logger: Logger(label: "local-wait")) { client in
        do {
          _ = try await client.get("etcd-pilot/auth-probe", countOnly: true)
          return false
        } catch let error as EtcdError where error.code == .permissionDenied {
          return true
        }
      }
    } catch {
      return false
    }
  }

  /// A report when converged; otherwise what is missing.
  static func check(
    config: LocalClusterConfig, endpoints: [EtcdEndpoint], expected: Set<String>, replicas: Int
  ) async -> (ClusterHealthReport?, String?) {
    do {
      let report = try await withEtcdClient(
        try config.clientConfiguration(Array(endpoints.prefix(max(replicas, 1))), callTimeout: .seconds(2)),
        logger: Logger(label: "local-wait")
      ) { client in
        // Members are checked at their pods' addresses: their published URLs may be names
        // that only the pods resolve (a chart's headless Service).
        try await client.clusterHealth(timeout: .seconds(2)) { member in
          guard let ordinal = PodIdentity.ordinal(ofPodName: member.name), ordinal < endpoints.count else { return nil }
          return endpoints[ordinal]
        }
      }
      let names = Set(report.members.map(\.name))
      if let learner = report.members.first(where: \.isLearner) {
        let who =
          learner.state == .unreachable
          ? "the new learner \(learner.id) to start" : "\(learner.name) to be promoted from learner"
        return (report, who)
      }
      let missing = expected.subtracting(names).sorted()
      if !missing.isEmpty { return (report, "\(missing.joined(separator: ", ")) to join the cluster") }
      let extra = names.subtracting(expected).sorted()
      if !extra.isEmpty { return (report, "\(extra.joined(separator: ", ")) to leave the cluster") }
      if let sick = report.members.first(where: { $0.state != .healthy }) {
        return (report, "\(sick.name) to be healthy (\(sick.state.rawValue): \(sick.reason))")
      }
      if config.rootPasswordFile != nil,
        !(await authIsOn(config: config, endpoints: Array(endpoints.prefix(max(replicas, 1)))))
      {
        return (report, "auth to be turned on (the bootstrapping members do it as the cluster forms)")
      }
      return (report, nil)
    } catch {
      return (nil, "a quorum of members to answer")
    }
  }
}
