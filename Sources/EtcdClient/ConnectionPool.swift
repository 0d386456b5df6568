import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// One gRPC connection per endpoint, shared by every view of an ``EtcdClient``.
///
/// Connections are made on first use; each runs as a child task of ``run()``, which returns once
/// ``shutdown()`` was called and every connection has closed.
final class ConnectionPool: Sendable {
  typealias Connection = GRPCClient<HTTP2ClientTransport.Posix>

  private struct State {
    var connections: [EtcdEndpoint: Connection] = [:]
    var isShutdown = false
  }

  private let state = Mutex(State())
  private let started: AsyncStream<Connection>
  private let starter: AsyncStream<Connection>.Continuation
  private let tls: EtcdClientConfiguration.TLS?

  init(tls: EtcdClientConfiguration.TLS?) {
    self.tls = tls
    (self.started, self.starter) = AsyncStream.makeStream()
  }

  /// The connection to `endpoint`, made now if there is none yet.
  func connection(to endpoint: EtcdEndpoint) throws(EtcdError) -> Connection {
    let result: Result<Connection, EtcdError> = state.withLock { state in
      if let existing = state.connections[endpoint] { return .success(existing) }
      guard !state.isShutdown else {
        return .failure(EtcdError(.unavailable, "the client is shut down", endpoint: endpoint.description))
      }
      do {
        let transport = try HTTP2ClientTransport.Posix(
          target: endpoint.hostIsIPAddress
            ? (endpoint.host.contains(":")
              ? .ipv6(address: endpoint.host, port: endpoint.port)
              : .ipv4(address: endpoint.host, port: endpoint.port))
            : .dns(host: endpoint.host, port: endpoint.port),
          transportSecurity: try Self.security(for: endpoint, tls: tls),
          config: .defaults { config in
            // Reconnect soon after a member comes back; grpc's default waits up to two minutes.
            config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
            // Find a dead peer (a blackholed or frozen member) without waiting for TCP timeouts.
            // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
            config.connection.keepalive = .init(time: .seconds(10), timeout: .seconds(5), allowWithoutCalls: false)
            config.channelDebuggingCallbacks.onCreateTCPConnection = { ServerPingResponder.install(on: $0) }
          }
        )
        let connection = GRPCClient(transport: transport)
        state.connections[endpoint] = connection
        starter.yield(connection)
        return .success(connection)
      } catch let error as EtcdError {
        return .failure(error)
      } catch {
        return .failure(
          EtcdError(
            .invalidConfiguration, "cannot set up a connection: \(error)", endpoint: endpoint.description,
            cause: error))
      }
    }
    return try result.get()
  }

  /// Runs every connection until ``shutdown()``.
  func run() async {
    await withDiscardingTaskGroup { group in
      for await connection in started {
        group.addTask {
          // A connection that fails to run fails its calls; the error reaches callers there.
          try? await connection.runConnections()
        }
      }
    }
  }

  /// Makes new connections from now on, so TLS files are read again (certificates rotated on
  /// disk); the old connections close once their calls are done.
  func renewConnections() {
    let old = state.withLock { state in
      defer { state.connections = [:] }
      return Array(state.connections.values)
    }
    for connection in old { connection.beginGracefulShutdown() }
  }

  /// Closes every connection once its calls are done and ends ``run()``.
  func shutdown() {
    let connections = state.withLock { state in
      state.isShutdown = true
      return Array(state.connections.values)
    }
    for connection in connections { connection.beginGracefulShutdown() }
    starter.finish()
  }

  private static func security(
    for endpoint: EtcdEndpoint, tls: EtcdClientConfiguration.TLS?
  ) throws(EtcdError) -> HTTP2ClientTransport.Posix.TransportSecurity {
    guard endpoint.scheme == .https else { return .plaintext }
    let tls = tls ?? .init()
    do {
      try tls.checkFiles()
    } catch {
      var named = error
      named.endpoint = endpoint.description
      throw named
    }
    return .tls { config in
      if let ca = tls.caFile {
        config.trustRoots = .certificates([.file(path: ca, format: .pem)])
      }
      if let cert = tls.certificateFile, let key = tls.keyFile {
        config.certificateChain = [.file(path: cert, format: .pem)]
        config.privateKey = .file(path: key, format: .pem)
      }
      if tls.skipVerification { config.serverCertificateVerification = .noVerification }
    }
  }
}
