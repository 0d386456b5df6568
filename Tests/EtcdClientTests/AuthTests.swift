import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("Auth", .serialized, .timeLimit(.minutes(10)))
struct AuthTests {
  @Test(
    "users and roles; auth on: anonymous refused, wrong password refused, right one works; auth off again",
    arguments: EtcdVersion.allCases)
  func authOnAndOff(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { admin in
        try await admin.put("open", "1")
        try await admin.roleAdd("reader")
        try await admin.roleGrantPermission("reader", Permission(.read, .prefix("open")))
        #expect(try await admin.roleGet("reader") == [Permission(.read, .prefix("open"))])
        try await admin.userAdd("alice", password: "alice-secret")
        try await admin.userGrantRole(user: "alice", role: "reader")
        #expect(try await admin.userGet("alice") == ["reader"])
        #expect(Set(try await admin.roleList()).isSuperset(of: ["reader"]))
        #expect(try await admin.userList() == ["alice"])

        try await admin.enableAuth(rootPassword: "root-secret")
        // The same client, without credentials, is now refused.
        let error = await #expect(throws: EtcdError.self, "an anonymous read succeeded with auth on") {
          _ = try await admin.get("open")
        }
        #expect([.permissionDenied, .invalidAuthToken, .authFailed].contains(error?.code ?? .other))
      }

      let root = EtcdClientConfiguration.Credentials(user: "root", password: "root-secret")
      let alice = EtcdClientConfiguration.Credentials(user: "alice", password: "alice-secret")
      let wrong = EtcdClientConfiguration.Credentials(user: "root", password: "nope")

      try await cluster.withClient(credentials: wrong) { etcd in
        let error = await #expect(throws: EtcdError.self, "a wrong password was accepted") {
          _ = try await etcd.get("open")
        }
        #expect(error?.code == .authFailed)
        #expect(error?.description.contains("authentication failed for user 'root'") == true)
      }
      try await cluster.withClient(credentials: alice) { etcd in
        let value = try await etcd.get("open").kvs.first?.valueString
        #expect(value == "1")
        let error = await #expect(throws: EtcdError.self, "a read-only user wrote") {
          try await etcd.put("open", "2")
        }
        #expect(error?.code == .permissionDenied)
      }
      try await cluster.withClient(credentials: root) { etcd in
        try await etcd.put("open", "3")
        try await etcd.userChangePassword("alice", password: "changed")
        try await etcd.userRevokeRole(user: "alice", role: "reader")
        try await etcd.roleRevokePermission("reader", .prefix("open"))
        try await etcd.userDelete("alice")
        try await etcd.roleDelete("reader")
        try await etcd.authDisable()
      }
      let value = try await cluster.withClient { anonymous in
        try await anonymous.get("open").kvs.first?.valueString
      }
      #expect(value == "3")
    }
  }

  /// Found by verify's schedule 3 (3.4.23, TLS and auth): a joining learner's pilot asks its own
  /// member for its status; with no token yet (a fresh pilot, or one its learner refused) the
  /// client authenticated on the learner, which refuses Authenticate — so the pilot never saw
  /// its etcd serve, and the learner was never promoted.
  @Test(
    "with auth, a call pinned to a learner authenticates through the cluster's other endpoints",
    arguments: EtcdVersion.allCases)
  func pinnedToALearner(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      let (learner, _) = try await cluster.addAndStartLearner()
      try await cluster.withClient(endpoints: [cluster.servers[0].endpoint]) {
        try await $0.enableAuth(rootPassword: "root-secret")
      }
      let root = EtcdClientConfiguration.Credentials(user: "root", password: "root-secret")
      let endpoints = [cluster.servers[0].endpoint, learner.endpoint]
      try await cluster.withClient(endpoints: endpoints, credentials: root) { etcd in
        // A fresh client: its first call is the pinned one, so it holds no token yet.
        let status = try await eventually("the learner to answer its status", timeout: .seconds(60)) {
          try? await etcd.pinned(to: learner.endpoint).status()
        }
        #expect(status.isLearner)
      }
    }
  }

  @Test("an expired token is replaced without the caller noticing", arguments: EtcdVersion.allCases)
  func tokenRenewal(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { admin in try await admin.enableAuth(rootPassword: "pw") }
      let root = EtcdClientConfiguration.Credentials(user: "root", password: "pw")
      try await cluster.withClient(credentials: root) { etcd in
        try await etcd.put("t", "1")
        // Simple tokens live in the member's memory: a restart invalidates every token.
        let server = cluster.servers[0]
        await server.stop()
        try await server.start(
          initialCluster: EtcdTestCluster.initialCluster([server]), state: "new", token: cluster.token)
        let value = try await eventually("a read with the old client after the restart") {
          try await etcd.get("t").kvs.first?.valueString
        }
        #expect(value == "1")
      }
    }
  }
}
