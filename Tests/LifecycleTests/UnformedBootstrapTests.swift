import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A bootstrap in which one member never starts: the others form a quorum of the initial
/// configuration and acknowledge writes. Nothing may ever give that cluster up.
@Suite("Lifecycle: a bootstrap that never fully forms", .serialized, .timeLimit(.minutes(10)))
struct UnformedBootstrapTests {
  /// Issue 12, finding 1: formation used to be recorded only once every bootstrap member had
  /// started, so after the bootstrap timeout one SIGKILL of etcd-1's etcd made its pilot "abandon
  /// the unformed bootstrap" and move the acknowledged writes aside.
  @Test(
    "etcd-2 adopts the marker but never starts: etcd-0 and etcd-1 serve; after the bootstrap timeout a SIGKILL of etcd-1's etcd loses nothing; etcd-2 joins when it returns",
    arguments: EtcdVersion.allCases)
  func twoOfThreeFormed(version: EtcdVersion) async throws {
    try await withStartingLocalCluster(
      replicas: 3, version: version, arguments: ["--pilot-arg=--bootstrap-timeout=15s"]
    ) { cluster in
      // The moment etcd-2's pilot adopts the marker, its whole pod stops (a node lost): etcd-2's
      // member never publishes itself.
      let notes = "\(cluster.layout.volume("etcd-2"))/pilot.json"
      let frozen = try await eventually(
        "etcd-2 to adopt the bootstrap marker", timeout: .seconds(60), every: .milliseconds(5)
      ) {
        () async throws -> [Int32]? in
        guard let text = FileManager.default.contents(atPath: notes),
          String(decoding: text, as: UTF8.self).contains("\"marker\"")
        else { return nil }
        return try await cluster.freeze(2)
      }
      defer { LocalTestCluster.thaw(frozen) }
      let survivors = [cluster.endpoint(0), cluster.endpoint(1)]
      let proposedAt = Date()
      try await eventually("etcd-0 and etcd-1 to serve writes", timeout: .seconds(60)) {
        try await cluster.withClient(endpoints: survivors, timeout: .seconds(2)) {
          try await $0.put("formed/probe", "1")
        }
      }
      try await cluster.withClient(endpoints: survivors) { etcd in
        for index in 0..<30 { try await etcd.put("formed/\(index)", "v\(index)") }
        let members = try await etcd.memberList().members
        let etcd2 = members.first { $0.peerURLs.contains { $0.contains(cluster.address(2)) } }
        try #require(etcd2 != nil && etcd2?.isStarted == false, "etcd-2 should be an unstarted member: \(members)")
      }
      // Past the bootstrap timeout, measured from the proposal.
      try await eventually("the bootstrap timeout to pass", timeout: .seconds(60), every: .seconds(1)) {
        Date().timeIntervalSince(proposedAt) > 20 ? true : nil
      }
      kill(try await cluster.etcdPID(1), SIGKILL)
      try await eventually("etcd-1 to return and the cluster to serve again", timeout: .seconds(60)) {
        try await cluster.withClient(endpoints: survivors, timeout: .seconds(2)) { etcd in
          try await etcd.get(.prefix("formed/"), countOnly: true).count == 31 ? true : nil
        }
      }
      for ordinal in 0..<2 {
        let aside =
          (try? FileManager.default.contentsOfDirectory(atPath: "\(cluster.layout.volume("etcd-\(ordinal)"))/aside"))
          ?? []
        #expect(aside.isEmpty, "etcd-\(ordinal) moved data aside: \(aside)")
      }
      #expect(FileManager.default.fileExists(atPath: cluster.layout.recordFile), "no cluster record was written")
      // etcd-2 returns: it joins the cluster it was part of, and `up` converges.
      LocalTestCluster.thaw(frozen)
    }
  }

  /// Issue 13, item 7: the bootstrap waited for every desired pod to answer fresh, so one
  /// unschedulable pod kept the whole cluster from ever forming.
  @Test(
    "a pod the platform does not run (scheduled late): the others form the cluster after the timeout, and it joins as a learner when it runs"
  )
  func podNotRunForms() async throws {
    try await withStartingLocalCluster(
      replicas: 3, version: .v3_5, arguments: ["--start-delay", "2=40", "--pilot-arg=--absent-pod-timeout=5s"]
    ) { cluster in
      let survivors = [cluster.endpoint(0), cluster.endpoint(1)]
      try await eventually("etcd-0 and etcd-1 to form a cluster of two and serve", timeout: .seconds(35)) {
        try await cluster.withClient(endpoints: survivors, timeout: .seconds(2)) { etcd in
          try await etcd.put("early", "1")
          return try await etcd.memberList().members.count == 2 ? true : nil
        }
      }
      let log = String(
        decoding: FileManager.default.contents(atPath: cluster.layout.log("etcd-0")) ?? Data(), as: UTF8.self)
      #expect(log.contains("etcd-2 has not run for"), "\(log.suffix(2000))")
      // `up` converges once etcd-2 runs and joins.
    }
  }
}
