import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Members that must be replaced: lost volumes, corrupt data, crashes in the middle of a
/// membership change. Each ends with the member list equal to the desired pods.
@Suite("Lifecycle: replacement and crash recovery", .serialized, .timeLimit(.minutes(10)))
struct ReplacementTests {
  @Test("a lost volume: the member is replaced by a new one; data intact", arguments: EtcdVersion.allCases)
  func lostVolume(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      try await cluster.withClient { etcd in for index in 0..<100 { try await etcd.put("v/\(index)", "\(index)") } }
      let before = try await cluster.memberIDs()
      try await cluster.wipe(1)
      try await cluster.expectMembers(3)
      let after = try await cluster.memberIDs()
      #expect(after["etcd-1"] != before["etcd-1"], "an empty volume took over the old member ID")
      #expect(after["etcd-0"] == before["etcd-0"] && after["etcd-2"] == before["etcd-2"])
      let count = try await cluster.withClient(endpoints: [cluster.endpoint(1)]) {
        try await $0.get(.prefix("v/"), serializable: true, countOnly: true).count
      }
      #expect(count == 100)
    }
  }

  @Test("corrupt data: the member is moved aside and replaced, not crash-looping", arguments: EtcdVersion.allCases)
  func corruptData(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      try await cluster.withClient { etcd in for index in 0..<100 { try await etcd.put("c/\(index)", "\(index)") } }
      let before = try await cluster.memberIDs()
      // Held down long enough that the damage is done before the pod returns.
      try await cluster.kill(2, hold: 10, wait: false)
      try await eventually("etcd-2 to be down") { () -> Bool? in
        try await cluster.control.status().pods.first { $0.name == "etcd-2" }?.state == "running" ? nil : true
      }
      let wal = "\(cluster.layout.volume("etcd-2"))/etcd/member/wal"
      let file = try #require(
        try FileManager.default.contentsOfDirectory(atPath: wal).filter { $0.hasSuffix(".wal") }.sorted().last)
      try WALDamage.corruptRecord(inSegment: "\(wal)/\(file)")

      try await eventually("etcd-2 to be replaced", timeout: .seconds(120)) { () -> Bool? in
        let ids = try await cluster.memberIDs()
        return ids["etcd-2"] != nil && ids["etcd-2"] != before["etcd-2"] ? true : nil
      }
      try await cluster.local(["scale", "--replicas", "3"])
      try await cluster.expectMembers(3)
      let aside = try FileManager.default.contentsOfDirectory(atPath: "\(cluster.layout.volume("etcd-2"))/aside")
      #expect(aside.count == 1 && aside[0].contains("etcd-cannot-use-it"), "\(aside)")
      let pod = try #require(try await cluster.control.status().pods.first { $0.name == "etcd-2" })
      #expect(pod.restarts <= 2, "the pod crash-looped: \(pod.restarts) restarts")
    }
  }

  /// What etcd 3.5.0–3.5.2 could do to a member killed under load (etcd issue 13766), made
  /// certain: the member's database claims entries it never applied, so when it returns it skips
  /// them. Raft, the member list and health all look fine; only its data differ. Found by
  /// `verify --seed 20261127 --schedule 1 --from 201 --faults 200 --tls` on etcd 3.5.1 (HashKV of
  /// etcd-1 differed, and a register read no order explains).
  @Test(
    "diverged data (the database claims entries it never applied): the consistency check replaces the member; one HashKV again, no write lost",
    arguments: EtcdVersion.allCases)
  func divergedData(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version, arguments: ["--consistency-check-interval", "2s"]) {
      cluster in
      try await cluster.withClient { etcd in for index in 0..<100 { try await etcd.put("d/\(index)", "\(index)") } }
      let before = try await cluster.memberIDs()
      let leaderID = try await cluster.withClient { try await $0.status().leader }
      let ordinal = try #require([2, 1, 0].first { before["etcd-\($0)"] != leaderID })
      let pod = "etcd-\(ordinal)"
      try await cluster.kill(ordinal, hold: 15, wait: false)
      try await eventually("\(pod) to be down") { () -> Bool? in
        try await cluster.control.status().pods.first { $0.name == pod }?.state == "running" ? nil : true
      }
      // Written while it is down; back, it skips the first 30 entries it receives as applied.
      let others = (0..<3).filter { $0 != ordinal }.map(cluster.endpoint)
      try await cluster.withClient(endpoints: others) { etcd in
        for index in 100..<200 { try await etcd.put("d/\(index)", "\(index)") }
      }
      try DBDamage.advanceConsistentIndex(database: "\(cluster.layout.volume(pod))/etcd/member/snap/db", by: 30)

      try await eventually("\(pod) to be replaced", timeout: .seconds(120)) { () -> Bool? in
        let ids = try await cluster.memberIDs()
        return ids[pod] != nil && ids[pod] != before[pod] ? true : nil
      }
      // Waits until the new member is a started voter.
      try await cluster.local(["scale", "--replicas", "3"])
      try await cluster.expectMembers(3)
      let log = try String(
        contentsOfFile: cluster.layout.log("etcd-\((0..<3).first { before["etcd-\($0)"] == leaderID }!)"),
        encoding: .utf8)
      #expect(log.contains("consistency check: \(pod)'s data diverged"), "\(log.suffix(3000))")
      let aside = try FileManager.default.contentsOfDirectory(atPath: "\(cluster.layout.volume(pod))/aside")
      #expect(aside.count == 1, "\(aside)")
      // Every member holds every write, and one HashKV at one revision.
      try await cluster.withClient { etcd in
        let revision = try await etcd.get("d/0", countOnly: true).header.revision
        var hashes: [UInt32] = []
        for member in 0..<3 {
          let pinned = etcd.pinned(to: cluster.endpoint(member))
          let count = try await eventually("etcd-\(member) to hold every write") { () -> Int64? in
            let count = try await pinned.get(.prefix("d/"), serializable: true, countOnly: true).count
            return count == 200 ? count : nil
          }
          #expect(count == 200)
          hashes.append(
            try await eventually("etcd-\(member)'s HashKV at \(revision)") {
              try await pinned.hashKV(revision: revision).hash
            })
        }
        #expect(Set(hashes).count == 1, "\(hashes)")
      }
    }
  }

  @Test(
    "a caught-up learner killed before its promotion is never promoted, and is removed", arguments: EtcdVersion.allCases
  )
  func learnerKilledBeforePromotion(version: EtcdVersion) async throws {
    // The pilots promote a caught-up learner after 2 s; give the test time to kill it first.
    try await withLocalCluster(replicas: 3, version: version, arguments: ["--pilot-arg=--promote-after=120s"]) {
      cluster in
      try await cluster.control.send("POST", "/scale", query: ["replicas": "4"])
      let learner = try await eventually(
        "etcd-3 to be a started, caught-up learner", timeout: .seconds(60), every: .milliseconds(50)
      ) {
        try await cluster.members().first { $0.isLearner && $0.isStarted }
      }
      try await cluster.kill(3, hold: 600, wait: false)
      // Watch the member list: the dead learner must never turn into a voter, and must go.
      try await eventually("the dead learner to be removed", timeout: .seconds(90), every: .milliseconds(200)) {
        () -> Bool? in
        let members = try await cluster.members()
        if let member = members.first(where: { $0.id == learner.id }) {
          #expect(member.isLearner, "the dead learner \(member.hexID) was promoted")
          return nil
        }
        return true
      }
      try await cluster.scale(3)
      try await cluster.expectMembers(3)
    }
  }

  @Test(
    "a crash between member add and start: the pod clears its unstarted entry and joins",
    arguments: EtcdVersion.allCases)
  func crashBetweenAddAndStart(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      // What a pilot leaves behind when it dies right after its member add: a learner with the
      // pod's peer URL that never started.
      let orphan = try await eventually("etcd to accept the add (it waits 5 s after start)") {
        try await cluster.withClient {
          try await $0.memberAdd(peerURLs: ["http://\(cluster.address(3)):2380"], asLearner: true).member
        }
      }
      try await cluster.scale(4)
      try await cluster.expectMembers(4)
      #expect(try await cluster.memberIDs()["etcd-3"] != orphan.id)
    }
  }

  @Test(
    "a crash during scale-down removal: the reconciler removes the member the dead pod left",
    arguments: EtcdVersion.allCases)
  func crashDuringScaleDown(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 4, version: version, arguments: ["--grace-period", "5"]) { cluster in
      // Freeze etcd-3's pilot: it cannot leave when told to, and is killed when its grace ends.
      let pod = try #require(try await cluster.control.status().pods.first { $0.name == "etcd-3" })
      let pid = try #require(pod.pid)
      Glibc.kill(pid, SIGSTOP)
      try await cluster.scale(3)
      try await cluster.expectMembers(3)
    }
  }
}
