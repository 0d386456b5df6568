import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

/// `etcd-pilot defrag` against real clusters: what a user checks afterwards — every database
/// smaller, the leader last and no longer leading when it was defragmented, nothing touched
/// when it refuses.
@Suite("etcd-pilot defrag", .serialized, .timeLimit(.minutes(10)))
struct DefragCommandTests {
  static let mib: Int64 = 1 << 20

  static func endpointsFlag(_ cluster: EtcdTestCluster) -> String {
    cluster.endpoints.map(\.description).joined(separator: ",")
  }

  /// Every member's id (hex) and database size, by member.
  static func sizes(_ cluster: EtcdTestCluster, of servers: [EtcdServer]? = nil) async throws -> [String: Int64] {
    try await cluster.withClient { client in
      var sizes: [String: Int64] = [:]
      for server in servers ?? cluster.servers {
        let status = try await client.pinned(to: server.endpoint).status()
        sizes[status.header.memberID.etcdHex] = status.dbSize
      }
      return sizes
    }
  }

  static func leader(_ cluster: EtcdTestCluster) async throws -> String {
    try await cluster.withClient { try await $0.status().leader.etcdHex }
  }

  /// Writes 96 MiB of values, deletes them and compacts: every member's database is then mostly
  /// free pages, which the pilot's rule says are due (half and at least 64 MiB free).
  static func fragment(_ cluster: EtcdTestCluster) async throws {
    try await cluster.withClient(timeout: .seconds(30)) { client in
      let value = [UInt8](repeating: 0x61, count: 1 << 20)
      for index in 0..<96 { try await client.put("fragment/\(index)", value) }
      try await client.delete(.prefix("fragment/"))
      let revision = try await client.put("kept", "1").header.revision
      try await client.compact(revision: revision, physical: true)
      // etcd 3.4 updates a member's size in use with the next write after a compaction.
      _ = try await eventually("every member's database to be mostly free", timeout: .seconds(60), every: .seconds(1)) {
        try await client.put("kept", "2")
        for server in cluster.servers {
          let status = try await client.pinned(to: server.endpoint).status()
          let free = status.dbSize - status.dbSizeInUse
          guard free >= 64 * mib, free * 2 >= status.dbSize else { return nil as Bool? }
        }
        return true
      }
    }
  }

  @Test(
    "a fragmented cluster: --dry-run changes nothing; then every database shrinks, the leader last, as a follower",
    arguments: EtcdVersion.allCases)
  func fragmented(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      try await Self.fragment(cluster)
      let before = try await Self.sizes(cluster)
      let leader = try await Self.leader(cluster)
      let endpoints = Self.endpointsFlag(cluster)

      let dryRun = try PilotBinary.run(["defrag", "--endpoints", endpoints, "--dry-run"])
      #expect(dryRun.exitCode == 0, "\(dryRun.output)")
      for id in before.keys {
        let listed = dryRun.output.split(separator: "\n").contains {
          $0.hasPrefix("member \(id) (") && $0.contains(": due: ")
        }
        #expect(listed, "\(id) not listed as due: \(dryRun.output)")
      }
      #expect(dryRun.output.contains("order: defragment member"), "\(dryRun.output)")
      #expect(dryRun.output.contains("nothing was changed"))
      #expect(try await Self.sizes(cluster) == before, "--dry-run changed a database")

      let result = try PilotBinary.run(["defrag", "--endpoints", endpoints], timeout: 300)
      #expect(result.exitCode == 0, "\(result.output)")
      let lines = result.output.split(separator: "\n").map(String.init)
      let defragmented = lines.enumerated().filter { $0.element.hasPrefix("defragmented member ") }
      #expect(defragmented.count == 3, "\(result.output)")
      // The leader last, after leadership was handed away, and only then.
      let last = try #require(defragmented.last)
      #expect(last.element.hasPrefix("defragmented member \(leader) ("), "\(result.output)")
      let moved = lines.firstIndex { $0.hasPrefix("moved leadership from member \(leader) (") }
      #expect(moved != nil && moved! < last.offset && moved! > defragmented[1].offset, "\(result.output)")
      #expect(lines.last?.hasPrefix("defragmented 3 of 3 members one at a time") == true, "\(result.output)")
      #expect(try await Self.leader(cluster) != leader)
      // The membership lock it held through the pass is released.
      #expect(try await cluster.withClient { try await $0.get("/etcd-pilot/lock/membership").kvs.isEmpty })

      let after = try await Self.sizes(cluster)
      for (id, size) in before {
        let shrunk = try #require(after[id])
        #expect(shrunk * 2 < size, "member \(id): \(size) bytes before, \(shrunk) after")
        #expect(lines.contains { $0.hasPrefix("defragmented member \(id) (") && $0.contains(" MiB before, ") })
      }
    }
  }

  @Test("nothing due: says so and changes nothing; --all --dry-run lists every member as due")
  func nothingDue() async throws {
    try await withCluster(size: 3, version: .v3_5) { cluster in
      let endpoints = Self.endpointsFlag(cluster)
      let result = try PilotBinary.run(["defrag", "--endpoints", endpoints])
      #expect(result.exitCode == 0, "\(result.output)")
      #expect(result.output.hasPrefix("nothing to defragment: no member is due"), "\(result.output)")

      let dryRun = try PilotBinary.run(["defrag", "--endpoints", endpoints, "--dry-run"])
      #expect(dryRun.exitCode == 0, "\(dryRun.output)")
      #expect(dryRun.output.split(separator: "\n").filter { $0.contains(": not due: ") }.count == 3, "\(dryRun.output)")
      #expect(dryRun.output.contains("order: nothing is due"))

      let all = try PilotBinary.run(["defrag", "--endpoints", endpoints, "--dry-run", "--all"])
      #expect(all.output.split(separator: "\n").filter { $0.contains(": due: --all") }.count == 3, "\(all.output)")
      #expect(all.output.contains("then hand leadership from member"), "\(all.output)")
    }
  }

  @Test("refused in one line, nothing changed: the membership lock held, a learner joining, a voter down")
  func refusals() async throws {
    try await withCluster(size: 3, version: .v3_4) { cluster in
      let endpoints = Self.endpointsFlag(cluster)
      try await cluster.withClient { try await $0.put("/etcd-pilot/lock/membership", "etcd-1/5e") }
      let locked = try PilotBinary.run(["defrag", "--endpoints", endpoints, "--all"])
      expectOneLineError(locked, mentions: ["membership lock is held by etcd-1/5e", "once it is done"], exitCode: 1)
      try await cluster.withClient { try await $0.delete(.key("/etcd-pilot/lock/membership")) }

      let (_, learner) = try await cluster.addAndStartLearner()
      let joining = try PilotBinary.run(["defrag", "--endpoints", endpoints, "--all"])
      expectOneLineError(joining, mentions: ["learner member \(learner.hexID)", "promoted"], exitCode: 1)

      let voters = Array(cluster.servers.prefix(2))
      let sizes = try await Self.sizes(cluster, of: voters)
      let down = try await cluster.withClient(endpoints: [cluster.servers[2].endpoint]) {
        try await $0.status().header.memberID.etcdHex
      }
      await cluster.servers[2].kill()
      // At once, as a user would run it: the others may be electing a new leader meanwhile.
      let refused = try PilotBinary.run(["defrag", "--endpoints", endpoints, "--all"])
      expectOneLineError(
        refused, mentions: ["voter member \(down) (m2) is unreachable", cluster.servers[2].clientURL, "bring it back"],
        exitCode: 1)
      #expect(!refused.output.contains("defragmented"))
      #expect(try await Self.sizes(cluster, of: voters) == sizes)
    }
  }

  @Test("TLS and auth flags as health's: root defragments; a user who may not read the lock is refused")
  func tlsAndAuth() async throws {
    try await withCluster(size: 1, version: .v3_5, tls: true) { cluster in
      let pki = try #require(cluster.tls)
      try await cluster.withClient { client in
        try await client.userAdd("reader", password: "pw")
        try await client.enableAuth(rootPassword: "s3cret")
      }
      let flags = [
        "--endpoints", cluster.servers[0].endpoint.description, "--cacert", pki.caFile, "--cert",
        pki.clientFiles.certificate, "--key", pki.clientFiles.key,
      ]
      let root = try PilotBinary.run(["defrag", "--all", "--user", "root:s3cret"] + flags)
      #expect(root.exitCode == 0, "\(root.output)")
      #expect(root.output.contains("defragmented member "), "\(root.output)")
      #expect(root.output.contains("defragmented 1 of 1 members"), "\(root.output)")

      let reader = try PilotBinary.run(["defrag", "--all", "--user", "reader:pw"] + flags)
      expectOneLineError(reader, mentions: ["membership lock could not be read", "--user root"], exitCode: 1)
      let wrong = try PilotBinary.run(["defrag", "--all", "--user", "root:wrong"] + flags)
      expectOneLineError(wrong, mentions: ["authentication failed"])
    }
  }

  @Test("unreachable endpoints and a bad --quota: one line each, non-zero")
  func badInput() async throws {
    let address = try Loopback.address()
    let url = "http://\(address):2379"
    let unreachable = try PilotBinary.run(["defrag", "--endpoints", url, "--command-timeout", "2s"])
    expectOneLineError(unreachable, mentions: [url], exitCode: 1)
    let alarms = try PilotBinary.run(["alarms", "--endpoints", url, "--command-timeout", "2s"])
    expectOneLineError(alarms, mentions: [url], exitCode: 1)
    let quota = try PilotBinary.run(["defrag", "--endpoints", url, "--quota", "lots"])
    expectOneLineError(quota, mentions: ["--quota 'lots' is not a size", "2Gi"], exitCode: 2)
  }
}
