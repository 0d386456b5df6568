import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("Lease", .serialized, .timeLimit(.minutes(10)))
struct LeaseTests {
  @Test("grant, timeToLive with keys, keepAliveOnce, revoke deletes the keys", arguments: EtcdVersion.allCases)
  func lifecycle(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        let lease = try await etcd.grant(ttl: 20)
        #expect(lease.id != 0)
        #expect(lease.ttl == 20)
        try await etcd.put("session/a", "1", lease: lease.id)

        let alive = try await etcd.timeToLive(lease: lease.id, keys: true)
        #expect(alive.grantedTTL == 20)
        #expect(alive.ttl > 0 && alive.ttl <= 20)
        #expect(alive.keys.map { String(decoding: $0, as: UTF8.self) } == ["session/a"])

        #expect(try await etcd.keepAliveOnce(lease: lease.id) == 20)

        try await etcd.revoke(lease: lease.id)
        #expect(try await etcd.get("session/a").kvs.isEmpty)
        #expect(try await etcd.timeToLive(lease: lease.id).ttl == -1)
        let error = await #expect(throws: EtcdError.self, "keep-alive of a revoked lease succeeded") {
          try await etcd.keepAliveOnce(lease: lease.id)
        }
        #expect(error?.code == .leaseNotFound)
      }
    }
  }

  @Test(
    "a chosen lease ID; keepAlive keeps a short lease past its TTL; without it the lease expires",
    arguments: EtcdVersion.allCases)
  func keepAliveStream(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        let kept = try await etcd.grant(ttl: 2, id: 0x1234)
        #expect(kept.id == 0x1234)
        let dropped = try await etcd.grant(ttl: 2)
        try await etcd.put("kept", "x", lease: kept.id)
        try await etcd.put("dropped", "x", lease: dropped.id)

        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { try await etcd.keepAlive(lease: kept) }
          // Well past both TTLs: the unrenewed lease must expire, the renewed one must not.
          _ = try await eventually("the unrenewed lease to expire", timeout: .seconds(15)) {
            try await etcd.get("dropped").kvs.isEmpty ? true : nil
          }
          try await Task.sleep(for: .seconds(3))
          #expect(try await etcd.get("kept").kvs.count == 1)
          #expect(try await etcd.timeToLive(lease: kept.id).ttl > 0)
          group.cancelAll()
        }
      }
    }
  }
}
