import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("Cluster", .serialized, .timeLimit(.minutes(10)))
struct ClusterTests {
  @Test("member list shows every started member with its names and URLs", arguments: EtcdVersion.allCases)
  func memberList(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      try await cluster.withClient { etcd in
        let list = try await etcd.memberList()
        #expect(Set(list.members.map(\.name)) == Set(cluster.servers.map(\.name)))
        #expect(Set(list.members.flatMap(\.peerURLs)) == Set(cluster.servers.map(\.peerURL)))
        #expect(Set(list.members.flatMap(\.clientURLs)) == Set(cluster.servers.map(\.clientURL)))
        #expect(list.members.allSatisfy { $0.isStarted && !$0.isLearner })
        #expect(list.header.clusterID != 0)
        let serializable = try await etcd.memberList(linearizable: false)
        #expect(Set(serializable.members.map(\.id)) == Set(list.members.map(\.id)))
      }
    }
  }

  @Test(
    "a learner is added, started, caught up and promoted, then removed; an unstarted member is updated",
    arguments: EtcdVersion.allCases)
  func learnerLifecycle(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        // A member added but never started: its peer URL can be changed, and it can be removed.
        let ghost = try await etcd.memberAdd(peerURLs: ["http://127.0.0.1:9"], asLearner: true).member
        let updated = try await etcd.memberUpdate(id: ghost.id, peerURLs: ["http://127.0.0.1:10"])
        #expect(updated.first { $0.id == ghost.id }?.peerURLs == ["http://127.0.0.1:10"])
        #expect(try await etcd.memberList().members.first { $0.id == ghost.id }?.peerURLs == ["http://127.0.0.1:10"])
        try await etcd.memberRemove(id: ghost.id)

        for index in 0..<50 { try await etcd.put("data/\(index)", "\(index)") }
        let (server, added) = try await cluster.addAndStartLearner(name: "learner")
        #expect(added.isLearner)
        #expect(!added.isStarted)
        #expect(added.peerURLs == [server.peerURL])

        // A second learner is refused while the first one is a learner.
        let error = await #expect(throws: EtcdError.self, "a second learner was accepted") {
          _ = try await etcd.memberAdd(peerURLs: ["http://127.0.0.1:1"], asLearner: true)
        }
        #expect(error?.code == .tooManyLearners)

        let members = try await eventually("the learner to be promoted", timeout: .seconds(30)) {
          do {
            return try await etcd.memberPromote(id: added.id)
          } catch let error as EtcdError where error.code == .learnerNotReady {
            return nil
          }
        }
        #expect(members.first { $0.id == added.id }?.isLearner == false)
        let promoteAgain = await #expect(throws: EtcdError.self, "promoting a voter succeeded") {
          try await etcd.memberPromote(id: added.id)
        }
        #expect(promoteAgain?.code == .memberNotLearner)
        // The promoted member serves linearizable reads with the data.
        let fromLearner = try await etcd.pinned(to: server.endpoint).get(.prefix("data/"), countOnly: true)
        #expect(fromLearner.count == 50)

        // Remove it; etcd on that member exits on its own. etcd refuses with "unhealthy cluster"
        // until the leader has seen the new voter connected for 5 s.
        let remaining = try await eventually("the removal to be accepted", timeout: .seconds(30)) {
          do {
            return try await etcd.memberRemove(id: added.id)
          } catch let error as EtcdError where error.code == .unhealthyCluster {
            return nil
          }
        }
        #expect(!remaining.contains { $0.id == added.id })
        let removeAgain = await #expect(throws: EtcdError.self, "removing a removed member succeeded") {
          try await etcd.memberRemove(id: added.id)
        }
        #expect(removeAgain?.code == .memberNotFound)
        #expect(try await etcd.memberList().members.count == 1)
      }
    }
  }

  @Test("adding a voter while a member is down is refused as unhealthy", arguments: EtcdVersion.allCases)
  func addRefusedWithDownVoter(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      await cluster.servers[2].kill()
      try await cluster.withClient(endpoints: [cluster.servers[0].endpoint]) { etcd in
        // etcd waits 5 s after a peer is lost before it calls the cluster unhealthy.
        let error = try await eventually("member add to be refused", timeout: .seconds(20)) { () -> EtcdError? in
          do {
            let added = try await etcd.memberAdd(peerURLs: ["http://127.0.0.1:9"], asLearner: true)
            try await etcd.memberRemove(id: added.member.id)
            return nil
          } catch let error as EtcdError {
            return error
          }
        }
        #expect(error.code == .unhealthyCluster)
      }
    }
  }
}
