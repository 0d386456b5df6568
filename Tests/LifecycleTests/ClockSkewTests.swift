import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

/// Pods whose wall clocks disagree (issue 12: nodes' clocks differ, and a pilot issues its own
/// certificate on its node's clock). `local up --clock-skew` runs each pod under libfaketime;
/// only the pilots' wall clocks move (etcd's Go runtime reads the clock without libc).
@Suite("Lifecycle: skewed clocks", .serialized, .timeLimit(.minutes(10)))
struct ClockSkewTests {
  @Test(
    "with TLS, pods' clocks 15 minutes ahead and behind: a pod ahead issues itself a certificate its peers accept and joins, one behind still serves; no write lost",
    arguments: EtcdVersion.allCases)
  func skewedPodsJoinAndServe(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 2, version: version, arguments: ["--tls", "--clock-skew"]) { cluster in
      let writer = AcknowledgedWriter()
      try await cluster.withClient { etcd in
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { await writer.run(using: etcd) }
          // etcd-1 runs: its clock jumps back at once. etcd-2 starts 15 minutes ahead.
          try ClockSkew.set(-900, pod: "etcd-1", layout: cluster.layout)
          try ClockSkew.set(900, pod: "etcd-2", layout: cluster.layout)
          try await cluster.scale(3)
          try await cluster.expectMembers(3)
          // A restart of the pod behind: its pilot checks the certificates again on its clock.
          try await cluster.kill(1, signal: "TERM")
          try await cluster.expectMembers(3)
          group.cancelAll()
        }
        #expect(writer.count > 20)
        #expect(try await writer.lost(using: etcd) == [])
      }
      // The skew took effect: etcd-2's pilot stamps its log lines 15 minutes ahead.
      let log = try String(contentsOfFile: cluster.layout.log("etcd-2"), encoding: .utf8)
      let format = DateFormatter()
      format.locale = Locale(identifier: "en_US_POSIX")
      format.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
      let stamps = log.split(separator: "\n").compactMap { line in
        line.split(separator: " ").first.flatMap { format.date(from: String($0)) }
      }
      #expect(!stamps.isEmpty && stamps.allSatisfy { $0.timeIntervalSinceNow > 600 }, "\(log.prefix(600))")
      let members = try await cluster.members()
      #expect(members.count == 3 && members.allSatisfy { !$0.isLearner })
    }
  }
}
