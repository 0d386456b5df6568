import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Scaling with `local scale` (the local `kubectl scale`): members follow the desired pods, no
/// learner is left, and no acknowledged write is lost.
@Suite("Lifecycle: scaling", .serialized, .timeLimit(.minutes(10)))
struct ScalingTests {
  @Test(
    "scale 3→5→4→1→3 under a writer: members follow, every acknowledged write intact", arguments: EtcdVersion.allCases)
  func scaleSequence(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      let writer = AcknowledgedWriter()
      try await cluster.withClient { etcd in
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { await writer.run(using: etcd) }
          for replicas in [5, 4, 1, 3] {
            try await cluster.scale(replicas)
            try await cluster.expectMembers(replicas)
          }
          group.cancelAll()
        }
        #expect(writer.count > 50)
        #expect(try await writer.lost(using: etcd) == [])
      }
    }
  }

  @Test("5→1 in one step: four pods terminating at once", arguments: EtcdVersion.allCases)
  func fiveToOne(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 5, version: version) { cluster in
      try await cluster.withClient { etcd in for index in 0..<50 { try await etcd.put("k/\(index)", "\(index)") } }
      try await cluster.scale(1)
      try await cluster.expectMembers(1)
      #expect(try await cluster.withClient { try await $0.get(.prefix("k/"), countOnly: true).count } == 50)
      // The leaving pods' data went aside, not deleted; their volumes are kept. A pod sees its
      // removal a moment after the member list shows it, then moves its data and ends.
      for ordinal in 1..<5 {
        let aside = try await eventually("etcd-\(ordinal)'s data moved aside") {
          try? FileManager.default.contentsOfDirectory(atPath: "\(cluster.layout.volume("etcd-\(ordinal)"))/aside")
        }
        #expect(aside.count == 1, "etcd-\(ordinal): \(aside)")
      }
    }
  }

  @Test(
    "3→1 while one of the leaving members is dead: the dead one goes first, then the live one",
    arguments: EtcdVersion.allCases)
  func scaleDownWithDeadMember(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      try await cluster.kill(2, hold: 600, wait: false)
      try await cluster.scale(1)
      try await cluster.expectMembers(1)
    }
  }

  @Test(
    "2→1 while the leaving member cannot be removed (frozen until its pod is killed): the remaining member continues alone with all data; a later scale-up rejoins",
    arguments: EtcdVersion.allCases)
  func strandedTwoToOne(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 2, version: version, arguments: ["--grace-period", "5"]) { cluster in
      try await cluster.withClient { etcd in for index in 0..<40 { try await etcd.put("s/\(index)", "\(index)") } }
      // etcd-0 leads: whatever its log holds beyond its commit index are its own proposals,
      // which etcd-1 never acknowledged, so never committed.
      try await cluster.lead(0)
      // Freeze etcd-1, pilot and etcd: a change of two voters needs both, so its removal cannot
      // commit; its pod is killed when the grace period ends and, scaled away, never returns.
      let frozen = try await cluster.freeze(1)
      defer { LocalTestCluster.thaw(frozen) }
      try await cluster.scale(1)
      try await cluster.expectMembers(1)
      #expect(try await cluster.withClient { try await $0.get(.prefix("s/"), countOnly: true).count } == 40)
      let log = try String(contentsOfFile: "\(cluster.directory)/logs/etcd-0.log", encoding: .utf8)
      #expect(log.contains("read this member's WAL"))
      #expect(log.contains("restarted alone with --force-new-cluster"))
      // etcd-1's volume still holds the old member's data: scaled up again, it joins anew.
      try await cluster.scale(2)
      try await cluster.expectMembers(2)
      #expect(try await cluster.withClient { try await $0.get(.prefix("s/"), countOnly: true).count } == 40)
    }
  }

  /// etcd's --force-new-cluster keeps only what the member knew committed. A leader commits an
  /// entry once the follower holds it, acknowledges the client, and tells the follower with its
  /// next message: dying in between, it leaves the follower holding an acknowledged write it
  /// does not know is committed (`LocalTestCluster.strandWithAnotherLeadersEntry`).
  @Test(
    "2→1 stranded, and the remaining member holds entries the dead leader wrote beyond its commit index: it does not discard them, says why, and scaling back to 2 heals",
    arguments: EtcdVersion.allCases)
  func strandedWithAnotherLeadersEntries(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 2, version: version, arguments: ["--grace-period", "5"]) { cluster in
      try await cluster.withClient { etcd in for index in 0..<40 { try await etcd.put("s/\(index)", "\(index)") } }
      let frozen = try await cluster.strandWithAnotherLeadersEntry()
      defer { LocalTestCluster.thaw(frozen) }
      // The scale-down cannot converge while etcd-0 refuses to discard (grace 5 s, then 15 s
      // without quorum before the WAL is read).
      try await cluster.local(["scale", "--replicas", "1"], expectFailure: true, timeout: .seconds(70))
      let log = try String(contentsOfFile: "\(cluster.directory)/logs/etcd-0.log", encoding: .utf8)
      #expect(log.contains("not continuing alone: this member's WAL holds"), "\(log.suffix(3000))")
      #expect(!log.contains("restarted alone with --force-new-cluster"))
      // The way out the pilot names: etcd-1 returns with its data, and the cluster is whole.
      LocalTestCluster.thaw(frozen)
      try await cluster.scale(2)
      try await cluster.expectMembers(2)
      #expect(try await cluster.withClient { try await $0.get(.prefix("s/"), countOnly: true).count } == 40)
      try await cluster.scale(1)
      try await cluster.expectMembers(1)
      #expect(try await cluster.withClient { try await $0.get(.prefix("s/"), countOnly: true).count } == 40)
    }
  }

  @Test("scaling to 0 is a pause: nothing removed; scaling back resumes with all data", arguments: EtcdVersion.allCases)
  func pause(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      try await cluster.withClient { etcd in for index in 0..<30 { try await etcd.put("z/\(index)", "\(index)") } }
      let ids = try await cluster.memberIDs()
      try await cluster.scale(0)
      try await cluster.scale(3)
      try await cluster.expectMembers(3)
      #expect(try await cluster.memberIDs() == ids)
      #expect(try await cluster.withClient { try await $0.get(.prefix("z/"), countOnly: true).count } == 30)
    }
  }
}
