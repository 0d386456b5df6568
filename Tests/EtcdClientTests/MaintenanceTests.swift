import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("Maintenance", .serialized, .timeLimit(.minutes(10)))
struct MaintenanceTests {
  @Test("status of every member: version, one leader, raft indexes", arguments: EtcdVersion.allCases)
  func status(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      try await cluster.withClient { etcd in
        var leaders: Set<UInt64> = []
        var leading = 0
        for server in cluster.servers {
          let status = try await etcd.pinned(to: server.endpoint).status()
          #expect(status.version.hasPrefix(version.rawValue + "."))
          #expect(status.dbSize > 0)
          #expect(status.raftIndex > 0)
          #expect(status.raftTerm > 0)
          #expect(!status.isLearner)
          leaders.insert(status.leader)
          if status.isLeader { leading += 1 }
        }
        #expect(leaders.count == 1)
        #expect(leading == 1)
      }
    }
  }

  @Test("hashKV agrees across members; defragment keeps the data; no alarms", arguments: EtcdVersion.allCases)
  func hashDefragAlarms(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      try await cluster.withClient { etcd in
        for index in 0..<100 { try await etcd.put("h/\(index)", String(repeating: "x", count: 100)) }
        let revision = try await etcd.get("h/0").header.revision
        try await etcd.delete(.prefix("h/"))
        // Every member has applied the revision once a linearizable read on it returns.
        var hashes: Set<UInt32> = []
        for server in cluster.servers {
          let member = etcd.pinned(to: server.endpoint)
          _ = try await member.get("sync")
          hashes.insert(try await member.hashKV(revision: revision).hash)
        }
        #expect(hashes.count == 1)

        let member = etcd.pinned(to: cluster.servers[0].endpoint)
        try await member.defragment()
        #expect(try await member.get(.prefix("h/"), countOnly: true).count == 0)
        #expect(try await etcd.alarms().isEmpty)
      }
    }
  }

  @Test("moveLeader hands leadership to the chosen member", arguments: EtcdVersion.allCases)
  func moveLeader(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      try await cluster.withClient { etcd in
        let leader = try await etcd.status().leader
        let target = try await etcd.memberList().members.first { $0.id != leader }!
        try await etcd.moveLeader(to: target.id)
        let after = try await eventually("leadership to move") {
          let now = try await etcd.status().leader
          return now == target.id ? now : nil
        }
        #expect(after == target.id)
      }
    }
  }

  @Test("snapshot streams to a file whose checksum etcd's own tool accepts", arguments: EtcdVersion.allCases)
  func snapshot(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        for index in 0..<200 { try await etcd.put("snap/\(index)", "\(index)") }
        let path = "\(cluster.directory)/backup.db"
        let result = try await etcd.snapshot(to: path)
        #expect(result.size > 0)
        #expect(result.sha256.count == 64)
        #expect(!FileManager.default.fileExists(atPath: path + ".part"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.size] as? NSNumber)?.int64Value == result.size)

        let status = try ProcessOutput.run(version.snapshotTool, ["snapshot", "status", path, "-w", "json"])
        #expect(status.exitCode == 0, "snapshot status failed: \(status.output)")
        #expect(status.output.contains("\"totalKey\""))
      }
    }
  }
}
