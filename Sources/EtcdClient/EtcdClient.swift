import EtcdAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization

/// An async client for etcd's v3 API over a list of endpoints.
///
/// Create one with ``withEtcdClient(_:logger:_:)``; the client is valid inside the closure. Calls
/// go to a preferred endpoint; when it cannot be reached the call moves on to the next one. Reads
/// move on for any availability error; writes only when the request cannot have reached a
/// server (so a write is never applied twice by a retry of ours). Every call has a deadline.
///
/// ```swift
/// try await withEtcdClient(.init(endpoints: [try EtcdEndpoint(parsing: "http://127.0.0.1:2379")])) { etcd in
///   try await etcd.put("greeting", "hello")
///   let value = try await etcd.get("greeting").kvs.first?.valueString
/// }
/// ```
public struct EtcdClient: Sendable {
  /// The endpoints this view of the client uses, in order of preference.
  public let endpoints: [EtcdEndpoint]
  let configuration: EtcdClientConfiguration
  let pool: ConnectionPool
  let session: Session
  let logger: Logger

  init(configuration: EtcdClientConfiguration, pool: ConnectionPool, session: Session, logger: Logger) {
    self.endpoints = configuration.endpoints
    self.configuration = configuration
    self.pool = pool
    self.session = session
    self.logger = logger
  }

  /// A view of this client that sends every call to `endpoint` only, sharing its connections.
  ///
  /// Used for calls whose answer depends on the member asked (status, hashKV, defragment) and for
  /// membership changes sent to the leader.
  public func pinned(to endpoint: EtcdEndpoint) -> EtcdClient {
    var configuration = self.configuration
    configuration.authenticationEndpoints = Self.union(configuration.endpoints, configuration.authenticationEndpoints)
    configuration.endpoints = [endpoint]
    return EtcdClient(configuration: configuration, pool: pool, session: session, logger: logger)
  }

  /// A view of this client over other endpoints, sharing its connections and credentials.
  public func using(endpoints: [EtcdEndpoint]) -> EtcdClient {
    var configuration = self.configuration
    configuration.authenticationEndpoints = Self.union(configuration.endpoints, configuration.authenticationEndpoints)
    configuration.endpoints = endpoints
    return EtcdClient(configuration: configuration, pool: pool, session: session, logger: logger)
  }

  /// `first`, then what `second` adds, in order.
  static func union(_ first: [EtcdEndpoint], _ second: [EtcdEndpoint]) -> [EtcdEndpoint] {
    first + second.filter { !first.contains($0) }
  }

  /// A view of this client whose calls a member without a leader refuses at once with
  /// `noLeader` (then the call moves on to the next endpoint), instead of holding them until a
  /// leader appears or the deadline passes. For observers that must not stall on a cluster that
  /// is still forming or has lost quorum.
  public func requiringLeader() -> EtcdClient {
    var configuration = self.configuration
    configuration.requireLeader = true
    return EtcdClient(configuration: configuration, pool: pool, session: session, logger: logger)
  }

  /// A view of this client whose calls have a different deadline.
  public func withTimeout(_ timeout: Duration) -> EtcdClient {
    var configuration = self.configuration
    configuration.callTimeout = timeout
    return EtcdClient(configuration: configuration, pool: pool, session: session, logger: logger)
  }

  /// Reads the TLS files again for the connections made from now on: for certificates renewed
  /// on disk. Calls in flight finish on the connections they started on.
  public func reloadCertificates() {
    pool.renewConnections()
  }

  /// The endpoint calls go to first.
  public var preferredEndpoint: EtcdEndpoint? {
    guard !endpoints.isEmpty else { return nil }
    return endpoints[session.preferredIndex(count: endpoints.count)]
  }
}

/// Runs `body` with a client for `configuration`, and closes its connections when `body` returns.
public func withEtcdClient<Result: Sendable>(
  _ configuration: EtcdClientConfiguration,
  logger: Logger = Logger(label: "etcd-client"),
  isolation: isolated (any Actor)? = #isolation,
  _ body: (EtcdClient) async throws -> Result
) async throws -> Result {
  guard !configuration.endpoints.isEmpty else {
    throw EtcdError(.invalidConfiguration, "no endpoints given: pass at least one http(s)://host:port")
  }
  let pool = ConnectionPool(tls: configuration.tls)
  let client = EtcdClient(configuration: configuration, pool: pool, session: Session(), logger: logger)
  return try await withThrowingTaskGroup(of: Void.self, isolation: isolation) { group in
    group.addTask { await pool.run() }
    do {
      let result = try await body(client)
      pool.shutdown()
      // A connection still resolving a name or dialing a dead address may not close on its
      // own for a long while: give the graceful close two seconds, then cancel it.
      group.addTask { try? await Task.sleep(for: .seconds(2)) }
      _ = try await group.next()
      group.cancelAll()
      try await group.waitForAll()
      return result
    } catch {
      pool.shutdown()
      group.cancelAll()
      throw error
    }
  }
}

/// What the client remembers between calls: the preferred endpoint and the auth token.
final class Session: Sendable {
  private struct State {
    var preferred = 0
    var token: String?
    /// The server said authentication is not enabled: call without a token until it refuses.
    var authNotEnabled = false
  }
  private let state = Mutex(State())

  func preferredIndex(count: Int) -> Int { state.withLock { $0.preferred % max(count, 1) } }
  func prefer(_ index: Int) { state.withLock { $0.preferred = index } }
  var token: String? { state.withLock { $0.token } }
  func setToken(_ token: String?) { state.withLock { $0.token = token } }
  var authNotEnabled: Bool {
    get { state.withLock { $0.authNotEnabled } }
    set { state.withLock { $0.authNotEnabled = newValue } }
  }
}

extension EtcdClient {
  /// Whether a failed call may be sent again to another endpoint.
  enum Retry {
    /// Reads and other calls without effect: retry on any availability error.
    case idempotent
    /// Writes: retry only when the request cannot have reached a server.
    case ifNotSent
  }

  /// One endpoint's connection, with the options and metadata a call on it must carry.
  struct Target: Sendable {
    var endpoint: EtcdEndpoint
    var connection: ConnectionPool.Connection
    var options: CallOptions
    var metadata: Metadata
  }

  /// Runs `call` on the preferred endpoint, moving on to the next one as `retry` allows.
  func perform<R: Sendable>(
    _ name: String, retry: Retry, _ call: (Target) async throws -> R
  ) async throws(EtcdError) -> R {
    let count = endpoints.count
    let first = session.preferredIndex(count: count)
    var failures: [EtcdError] = []
    for step in 0..<count {
      let index = (first + step) % count
      let endpoint = endpoints[index]
      do {
        let result = try await attempt(name, on: endpoint, call)
        if step > 0 { session.prefer(index) }
        return result
      } catch {
        if Task.isCancelled { throw EtcdError(.cancelled, "\(name) cancelled", endpoint: endpoint.description) }
        guard Self.mayMoveOn(after: error, retry: retry), count > 1 else { throw error }
        logger.debug("\(name) failed on \(endpoint), trying the next endpoint: \(error.message)")
        failures.append(error)
        session.prefer((index + 1) % count)
      }
    }
    guard var last = failures.last else {
      throw EtcdError(.invalidConfiguration, "no endpoints given")
    }
    last.message =
      "no endpoint answered \(name): "
      + failures.map { "\($0.endpoint ?? "?"): \($0.message)" }.joined(separator: "; ")
    last.endpoint = nil
    throw last
  }

  /// One call on one endpoint, authenticating first when credentials are set and no token is
  /// held, and once more when the server says the token is no longer valid.
  private func attempt<R: Sendable>(
    _ name: String, on endpoint: EtcdEndpoint, _ call: (Target) async throws -> R
  ) async throws(EtcdError) -> R {
    let connection = try pool.connection(to: endpoint)
    var options = CallOptions.defaults
    options.timeout = configuration.callTimeout
    options.waitForReady = false
    var retriedForAuth = false
    while true {
      var metadata: Metadata = [:]
      if configuration.requireLeader { metadata.addString("true", forKey: "hasleader") }
      if let credentials = configuration.credentials {
        if session.token == nil, !session.authNotEnabled {
          do {
            try await authenticate(credentials, preferring: endpoint)
          } catch  where error.code == .authNotEnabled {
            // Credentials given before auth is on (a pilot before its cluster enables it).
            session.authNotEnabled = true
          }
        }
        if let token = session.token { metadata.addString(token, forKey: "token") }
      }
      do {
        return try await call(Target(endpoint: endpoint, connection: connection, options: options, metadata: metadata))
      } catch {
        let classified = explained(EtcdError.from(error, endpoint: endpoint.description))
        // Once per call: a token that expired, or auth turned on since we last looked.
        if configuration.credentials != nil, !retriedForAuth {
          if classified.code == .invalidAuthToken {
            session.setToken(nil)
            retriedForAuth = true
            continue
          }
          if classified.code == .permissionDenied, session.authNotEnabled {
            session.authNotEnabled = false
            retriedForAuth = true
            continue
          }
        }
        throw classified
      }
    }
  }

  /// A refused handshake of a client that has no certificate says that one is needed.
  private func explained(_ error: EtcdError) -> EtcdError {
    var error = error
    if error.code == .tls, configuration.tls?.certificateFile == nil,
      error.message.contains("refused the client certificate")
    {
      error.message =
        "TLS handshake failed: the server requires a client certificate (mutual TLS); pass one signed by the cluster's CA with --cert and --key"
    }
    return error
  }

  private static func mayMoveOn(after error: EtcdError, retry: Retry) -> Bool {
    switch error.code {
    case .unavailable, .tls:
      return retry == .idempotent || error.notSent || error.code == .tls
    // Refused before the request was processed: safe for writes too. A member that refuses a
    // token it was just given has a broken token provider (etcd issue 13134): others may not.
    case .noLeader, .learnerNotSupported, .invalidAuthToken:
      return true
    case .deadlineExceeded, .serverTimeout, .leaderChanged:
      return retry == .idempotent
    default:
      return false
    }
  }

  /// Authenticates on `endpoint`, or — when it cannot give a token (a learner refuses
  /// Authenticate; a member that is down) — on the other endpoints this client was made with,
  /// in turn. The token is the cluster's: the member that gave it out need not be the one asked.
  private func authenticate(
    _ credentials: EtcdClientConfiguration.Credentials, preferring endpoint: EtcdEndpoint
  ) async throws(EtcdError) {
    do {
      try await authenticate(credentials, on: endpoint)
    } catch {
      guard [.learnerNotSupported, .unavailable].contains(error.code) else { throw error }
      for other in configuration.authenticationEndpoints where other != endpoint {
        do {
          try await authenticate(credentials, on: other)
          return
        } catch  where [.learnerNotSupported, .unavailable].contains(error.code) {
          continue
        }
      }
      throw error
    }
  }

  private func authenticate(
    _ credentials: EtcdClientConfiguration.Credentials, on endpoint: EtcdEndpoint
  ) async throws(EtcdError) {
    let connection = try pool.connection(to: endpoint)
    var options = CallOptions.defaults
    options.timeout = configuration.callTimeout
    options.waitForReady = false
    var request = Etcdserverpb_AuthenticateRequest()
    request.name = credentials.user
    request.password = credentials.password
    do {
      let response = try await Etcdserverpb_Auth.Client(wrapping: connection).authenticate(
        request, options: options)
      session.setToken(response.token)
      logger.debug("authenticated as \(credentials.user) on \(endpoint)")
    } catch {
      var classified = explained(EtcdError.from(error, endpoint: endpoint.description))
      if classified.code == .authFailed || classified.code == .invalidArgument {
        classified.code = .authFailed
        classified.message = "authentication failed for user '\(credentials.user)': wrong user name or password"
      }
      throw classified
    }
  }
}
