import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("KV", .serialized, .timeLimit(.minutes(10)))
struct KVTests {
  @Test(
    "put, get a key, a prefix, a range; limit, revision, serializable, keys-only, count-only",
    arguments: EtcdVersion.allCases)
  func getVariants(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        let first = try await etcd.put("app/a", "1")
        try await etcd.put("app/b", "2")
        try await etcd.put("app/c", "3")
        try await etcd.put("other", "x")
        try await etcd.put("app/a", "1b")

        let single = try await etcd.get("app/a")
        #expect(single.kvs.map(\.valueString) == ["1b"])
        #expect(single.kvs.first?.version == 2)
        #expect(single.count == 1)

        let prefix = try await etcd.get(.prefix("app/"))
        #expect(prefix.kvs.map(\.keyString) == ["app/a", "app/b", "app/c"])
        #expect(prefix.count == 3)

        let range = try await etcd.get(.range(from: "app/b", to: "app/d"))
        #expect(range.kvs.map(\.keyString) == ["app/b", "app/c"])

        let everything = try await etcd.get(.all)
        #expect(everything.count == 4)

        let limited = try await etcd.get(.prefix("app/"), limit: 2)
        #expect(limited.kvs.count == 2)
        #expect(limited.more)
        #expect(limited.count == 3)

        let old = try await etcd.get("app/a", revision: first.header.revision)
        #expect(old.kvs.map(\.valueString) == ["1"])

        let serializable = try await etcd.get("app/b", serializable: true)
        #expect(serializable.kvs.map(\.valueString) == ["2"])

        let keysOnly = try await etcd.get(.prefix("app/"), keysOnly: true)
        #expect(keysOnly.kvs.map(\.keyString) == ["app/a", "app/b", "app/c"])
        #expect(keysOnly.kvs.allSatisfy { $0.value.isEmpty })

        let countOnly = try await etcd.get(.prefix("app/"), countOnly: true)
        #expect(countOnly.kvs.isEmpty)
        #expect(countOnly.count == 3)

        let missing = try await etcd.get("nope")
        #expect(missing.kvs.isEmpty)
      }
    }
  }

  @Test("put with prevKV and a lease; delete a key and a prefix", arguments: EtcdVersion.allCases)
  func putAndDelete(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        try await etcd.put("k", "v1")
        let replaced = try await etcd.put("k", "v2", prevKV: true)
        #expect(replaced.prevKV?.valueString == "v1")

        let lease = try await etcd.grant(ttl: 30)
        try await etcd.put("leased", "x", lease: lease.id)
        #expect(try await etcd.get("leased").kvs.first?.lease == lease.id)

        for index in 0..<5 { try await etcd.put("dir/\(index)", "\(index)") }
        let deletedOne = try await etcd.delete("k", prevKV: true)
        #expect(deletedOne.deleted == 1)
        #expect(deletedOne.prevKVs.map(\.valueString) == ["v2"])
        let deletedPrefix = try await etcd.delete(.prefix("dir/"))
        #expect(deletedPrefix.deleted == 5)
        #expect(try await etcd.get(.prefix("dir/"), countOnly: true).count == 0)
        #expect(try await etcd.get("k").kvs.isEmpty)
      }
    }
  }

  @Test("txn: compare and set, then and else branches, nested results", arguments: EtcdVersion.allCases)
  func transactions(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        // Create only if absent: succeeds once.
        let created = try await etcd.txn(
          if: [.version("lock", .equal, 0)], then: [.put("lock", "owner-1")], else: [.get("lock")])
        #expect(created.succeeded)
        let second = try await etcd.txn(
          if: [.version("lock", .equal, 0)], then: [.put("lock", "owner-2")], else: [.get("lock")])
        #expect(!second.succeeded)
        guard case .get(let current)? = second.responses.first else {
          Issue.record("the else branch returned no range result")
          return
        }
        #expect(current.kvs.first?.valueString == "owner-1")

        // Compare on value and on mod revision.
        let revision = current.kvs.first!.modRevision
        let swapped = try await etcd.txn(
          if: [.value("lock", .equal, "owner-1"), .modRevision("lock", .equal, revision)],
          then: [.put("lock", "owner-3"), .delete("absent")])
        #expect(swapped.succeeded)
        #expect(swapped.responses.count == 2)
        let stale = try await etcd.txn(if: [.modRevision("lock", .equal, revision)], then: [.put("lock", "late")])
        #expect(!stale.succeeded)
        #expect(try await etcd.get("lock").kvs.first?.valueString == "owner-3")
      }
    }
  }

  @Test("compaction: older revisions are gone, newer ones stay", arguments: EtcdVersion.allCases)
  func compaction(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        let first = try await etcd.put("c", "1")
        let second = try await etcd.put("c", "2")
        try await etcd.put("c", "3")
        try await etcd.compact(revision: second.header.revision, physical: true)
        let error = await #expect(throws: EtcdError.self) {
          _ = try await etcd.get("c", revision: first.header.revision)
        }
        #expect(error?.code == .compacted)
        #expect(try await etcd.get("c", revision: second.header.revision).kvs.first?.valueString == "2")
      }
    }
  }
}

@Suite("Connection", .serialized, .timeLimit(.minutes(10)))
struct ConnectionTests {
  // etcd's gRPC server sends an HTTP/2 PING after most calls; swift-nio-http2 used to close the
  // connection after 200 of them in 30 s, failing every 200th call.
  @Test("a thousand sequential calls on one connection all succeed", arguments: EtcdVersion.allCases)
  func manySequentialCalls(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        for index in 0..<500 {
          try await etcd.put("seq/\(index)", "\(index)")
          _ = try await etcd.get("seq/\(index)")
        }
        #expect(try await etcd.get(.prefix("seq/"), countOnly: true).count == 500)
      }
    }
  }
}
