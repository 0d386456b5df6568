import EtcdClient
import Foundation
import Logging

/// A real etcd cluster on loopback for one test: N members started with a static
/// configuration, each on its own address, all under one temporary directory.
///
/// Use ``withCluster(size:version:tls:_:)``: every process it starts is stopped when the body
/// returns or throws, and the directory is removed.
public final class EtcdTestCluster: Sendable {
  public let version: EtcdVersion
  public let directory: String
  public let token: String
  public let tls: TestPKI?
  /// Members in the order they were created; removed members stay listed.
  public var servers: [EtcdServer] { state.get() }
  private let state = LockedBox<[EtcdServer]>([])

  init(version: EtcdVersion, directory: String, tls: TestPKI?) {
    self.version = version
    self.directory = directory
    self.token = "test-\(UInt32.random(in: 0...UInt32.max))"
    self.tls = tls
  }

  /// Client endpoints of the members started so far.
  public var endpoints: [EtcdEndpoint] { servers.map(\.endpoint) }

  /// A client configuration for `endpoints` (all members by default), with the test client's
  /// certificate when TLS is on.
  public func clientConfiguration(
    endpoints: [EtcdEndpoint]? = nil, credentials: EtcdClientConfiguration.Credentials? = nil,
    timeout: Duration = .seconds(5)
  ) -> EtcdClientConfiguration {
    EtcdClientConfiguration(
      endpoints: endpoints ?? self.endpoints,
      tls: tls.map {
        .init(caFile: $0.caFile, certificateFile: $0.clientFiles.certificate, keyFile: $0.clientFiles.key)
      },
      credentials: credentials, callTimeout: timeout)
  }

  /// Runs `body` with a client of this cluster.
  public func withClient<R: Sendable>(
    endpoints: [EtcdEndpoint]? = nil, credentials: EtcdClientConfiguration.Credentials? = nil,
    timeout: Duration = .seconds(5), _ body: (EtcdClient) async throws -> R
  ) async throws -> R {
    try await withEtcdClient(
      clientConfiguration(endpoints: endpoints, credentials: credentials, timeout: timeout),
      logger: Logger(label: "test-client"), body)
  }

  /// Creates a member (not started) on a fresh loopback address.
  public func makeServer(name: String? = nil) throws -> EtcdServer {
    let address = try Loopback.address()
    let name = name ?? "m\(servers.count)"
    try tls?.issueServer(name: name, address: address)
    let server = EtcdServer(name: name, address: address, version: version, directory: directory, tls: tls)
    state.update { $0.append(server) }
    return server
  }

  /// The static `--initial-cluster` of `members`.
  public static func initialCluster(_ members: [EtcdServer]) -> String {
    members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
  }

  /// Waits until every member in `members` answers a linearizable read.
  public func waitUntilHealthy(_ members: [EtcdServer]? = nil, timeout: Duration = .seconds(30)) async throws {
    let members = members ?? servers
    try await withClient { client in
      for member in members {
        _ = try await eventually("\(member.name) to serve a linearizable read", timeout: timeout) {
          _ = try await client.pinned(to: member.endpoint).withTimeout(.seconds(2)).get("health-check")
          return true
        }
      }
    }
  }

  /// Adds a learner through the cluster and starts it with `--initial-cluster-state existing`.
  public func addAndStartLearner(name: String? = nil) async throws -> (EtcdServer, Member) {
    let server = try makeServer(name: name)
    let added = try await withClient { client in
      try await eventually("the cluster to accept a new learner", timeout: .seconds(30)) {
        try await client.memberAdd(peerURLs: [server.peerURL], asLearner: true)
      }
    }
    let cluster = added.members.map { member in
      member.id == added.member.id ? "\(server.name)=\(server.peerURL)" : "\(member.name)=\(member.peerURLs[0])"
    }.joined(separator: ",")
    try await server.start(initialCluster: cluster, state: "existing", token: token)
    return (server, added.member)
  }

  /// Stops every member, killing what does not stop within a few seconds.
  public func stopAll() async {
    await withTaskGroup(of: Void.self) { group in
      for server in servers { group.addTask { await server.stop(grace: .seconds(5)) } }
    }
  }
}

/// Runs `body` with a started, healthy cluster of `size` members, then stops every process and
/// removes the cluster's directory, also when `body` throws. `etcdArguments` go to every
/// member's etcd (e.g. `--quota-backend-bytes`).
public func withCluster<R: Sendable>(
  size: Int = 3, version: EtcdVersion, tls: Bool = false, etcdArguments: [String] = [],
  _ body: (EtcdTestCluster) async throws -> R
) async throws -> R {
  try version.requireInstalled()
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("etcd-pilot-test-\(UUID().uuidString.prefix(8))").path
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  let pki = tls ? try TestPKI(directory: "\(directory)/pki") : nil
  let cluster = EtcdTestCluster(version: version, directory: directory, tls: pki)
  do {
    let servers = try (0..<size).map { _ in try cluster.makeServer() }
    let initial = EtcdTestCluster.initialCluster(servers)
    for server in servers {
      try await server.start(
        initialCluster: initial, state: "new", token: cluster.token, extraArguments: etcdArguments)
    }
    try await cluster.waitUntilHealthy()
    let result = try await body(cluster)
    await cluster.stopAll()
    try? FileManager.default.removeItem(atPath: directory)
    return result
  } catch {
    await cluster.stopAll()
    let logs = cluster.servers.map { "--- \($0.name) (\($0.address)) ---\n\($0.logTail(lines: 8))" }
      .joined(separator: "\n")
    try? FileManager.default.removeItem(atPath: directory)
    if error is FixtureError { throw FixtureError("\(error)\n\(logs)") }
    throw error
  }
}
