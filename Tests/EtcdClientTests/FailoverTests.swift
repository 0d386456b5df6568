import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("Failover", .serialized, .timeLimit(.minutes(10)))
struct FailoverTests {
  @Test("calls move on to the next endpoint when the preferred one is killed", arguments: EtcdVersion.allCases)
  func killedEndpoint(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      // The preferred endpoint is a follower: losing the leader makes in-flight writes
      // indeterminate in etcd itself, which is not what this test is about.
      let leaderID = try await cluster.withClient { try await $0.status().leader }
      var follower: EtcdServer?
      for server in cluster.servers {
        let id = try await cluster.withClient(endpoints: [server.endpoint]) { try await $0.status().header.memberID }
        if id != leaderID { follower = server }
      }
      let preferred = try #require(follower)
      let endpoints = [preferred.endpoint] + cluster.endpoints.filter { $0 != preferred.endpoint }
      try await cluster.withClient(endpoints: endpoints) { etcd in
        #expect(etcd.preferredEndpoint == preferred.endpoint)
        try await etcd.put("before", "1")
        await preferred.kill()
        // The first call after the kill is a read: a write sent before the client has seen the
        // connection close (a loaded machine reads the FIN late) fails as possibly sent —
        // "stream unexpectedly closed" — and is rightly not resent. A read moves on either way.
        #expect(try await etcd.get("before").kvs.first?.valueString == "1")
        // Then writes and reads go on without a caller-side retry.
        for index in 0..<20 {
          try await etcd.put("after/\(index)", "\(index)")
        }
        #expect(try await etcd.get(.prefix("after/"), countOnly: true).count == 20)
        #expect(try await etcd.get("before").kvs.first?.valueString == "1")
        #expect(etcd.preferredEndpoint != preferred.endpoint)
      }
    }
  }

  @Test("requiringLeader: a member that lost its leader refuses at once with noLeader", arguments: EtcdVersion.allCases)
  func requiringLeader(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      let survivor = cluster.servers[0]
      for server in cluster.servers.dropFirst() { _ = await server.kill() }
      try await cluster.withClient(endpoints: [survivor.endpoint], timeout: .seconds(20)) { etcd in
        // Once the survivor's election timeout passes it knows no leader.
        try await eventually("the survivor to lose its leader") { () -> Bool? in
          (try? await etcd.withTimeout(.seconds(1)).status().leader) == 0 ? true : nil
        }
        // Without it the read would wait for a leader and end in a timeout, not noLeader.
        let error = await #expect(throws: EtcdError.self, "a leaderless member answered the member list") {
          _ = try await etcd.requiringLeader().memberList(linearizable: true)
        }
        #expect(error?.code == .noLeader, "\(String(describing: error))")
      }
    }
  }

  @Test("a list of unreachable endpoints fails with one error naming each endpoint and its cause")
  func allUnreachable() async throws {
    let endpoints = try EtcdEndpoint.parseList("http://127.0.0.1:1,http://127.0.0.1:3")
    try await withEtcdClient(.init(endpoints: endpoints, callTimeout: .seconds(2))) { etcd in
      let error = await #expect(throws: EtcdError.self, "a read from no server succeeded") {
        _ = try await etcd.get("x")
      }
      #expect(error?.code == .unavailable)
      #expect(error?.message.contains("http://127.0.0.1:1") == true)
      #expect(error?.message.contains("http://127.0.0.1:3") == true)
      #expect(error?.message.lowercased().contains("refused") == true)
    }
  }

  @Test("endpoint parsing: schemes, ports, IPv6, and clear errors for malformed URLs")
  func parsing() throws {
    #expect(
      try EtcdEndpoint(parsing: "http://10.0.0.1:2379") == EtcdEndpoint(scheme: .http, host: "10.0.0.1", port: 2379))
    #expect(try EtcdEndpoint(parsing: "https://etcd-0.etcd.default.svc:2379").scheme == .https)
    #expect(try EtcdEndpoint(parsing: "127.0.0.1:12379").port == 12379)
    #expect(try EtcdEndpoint(parsing: "http://[::1]:2379").host == "::1")
    #expect(try EtcdEndpoint(parsing: "http://[::1]:2379").description == "http://[::1]:2379")
    #expect(try EtcdEndpoint(parsing: "http://node").port == 2379)
    for bad in ["ftp://x:1", "http://host:notaport", "http://host:70000", "http://", "http://a/b/c"] {
      let error = #expect(throws: EtcdError.self, "\(bad) was accepted") {
        _ = try EtcdEndpoint(parsing: bad)
      }
      #expect(error?.code == .invalidConfiguration)
      #expect(error?.message.contains(bad) == true)
    }
  }

  @Test("key ranges: prefix ends, single keys, everything")
  func keyRanges() {
    #expect(KeyRange.prefix("a/").rangeEnd == Data("a0".utf8))
    #expect(KeyRange.prefix(Data([0x61, 0xff])).rangeEnd == Data([0x62]))
    #expect(KeyRange.prefix(Data([0xff, 0xff])).rangeEnd == Data([0]))
    #expect(KeyRange.prefix("") == .all)
    #expect(("k" as KeyRange).rangeEnd.isEmpty)
    #expect(KeyRange.from("m").rangeEnd == Data([0]))
  }
}
