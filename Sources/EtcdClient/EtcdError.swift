import GRPCCore

/// An error from an etcd call, classified so callers decide "retry" or "fail" without matching
/// strings.
///
/// `code` is the classification; `message` is what the server (or the transport) said, and
/// `endpoint` the endpoint that said it. The underlying error, when there is one, is in `cause`.
public struct EtcdError: Error, Sendable, CustomStringConvertible {
  /// What went wrong, as a caller needs to know it.
  public enum Code: String, Sendable, Hashable, CaseIterable {
    // Membership
    /// `etcdserver: unhealthy cluster`: the receiving member is not connected to every voter.
    case unhealthyCluster
    /// `etcdserver: too many learner members in cluster`.
    case tooManyLearners
    /// `etcdserver: can only promote a learner member which is in sync with leader`.
    case learnerNotReady
    /// `etcdserver: can only promote a learner member`: the member is already a voter.
    case memberNotLearner
    /// `etcdserver: member not found`.
    case memberNotFound
    /// `etcdserver: re-configuration failed due to not enough started members`.
    case notEnoughStartedMembers
    /// `etcdserver: Peer URLs already exists`.
    case peerURLExists
    /// `etcdserver: member ID already exist`.
    case memberIDExists
    /// `etcdserver: rpc not supported for learner`.
    case learnerNotSupported
    /// `etcdserver: not leader` (for calls that only the leader answers, such as MoveLeader).
    case notLeader
    /// `etcdserver: bad leader transferee`.
    case badLeaderTransferee
    /// The member this client talks to was removed from the cluster.
    case memberRemoved

    // Auth
    /// `etcdserver: permission denied`.
    case permissionDenied
    /// `etcdserver: authentication failed, invalid user ID or password`.
    case authFailed
    /// `etcdserver: invalid auth token` (the client re-authenticates on its own).
    case invalidAuthToken
    /// `etcdserver: authentication is not enabled`.
    case authNotEnabled
    /// `etcdserver: user name already exists` / `role name already exists`.
    case alreadyExists
    /// `etcdserver: user name not found` / `role name not found` / `root user does not exist`.
    case notFound

    // Data
    /// `mvcc: required revision has been compacted`.
    case compacted
    /// `mvcc: required revision is a future revision`.
    case futureRevision
    /// `etcdserver: requested lease not found`.
    case leaseNotFound
    /// `mvcc: database space exceeded`: the NOSPACE alarm is raised.
    case noSpace
    /// `etcdserver: too many requests`.
    case tooManyRequests

    // Availability
    /// `etcdserver: no leader`.
    case noLeader
    /// `etcdserver: leader changed`.
    case leaderChanged
    /// `etcdserver: request timed out` (and its variants): the outcome is unknown.
    case serverTimeout
    /// The call did not finish before its deadline: the outcome is unknown.
    case deadlineExceeded
    /// No endpoint could be reached, or the server is stopping.
    case unavailable

    // Client side
    /// A TLS handshake failed (wrong CA, name mismatch, missing or rejected client certificate).
    case tls
    /// The request was malformed or an argument was rejected.
    case invalidArgument
    /// A configuration error on the client side (bad URL, unreadable file).
    case invalidConfiguration
    /// The call was cancelled.
    case cancelled
    /// Anything else the server said; see `message`.
    case other
  }

  public var code: Code
  public var message: String
  /// The endpoint the error came from, when one is known.
  public var endpoint: String?
  /// The underlying error.
  public var cause: (any Error)?

  public init(_ code: Code, _ message: String, endpoint: String? = nil, cause: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.endpoint = endpoint
    self.cause = cause
  }

  /// A one-line description naming the endpoint and the cause.
  public var description: String {
    if let endpoint { return "\(endpoint): \(message)" }
    return message
  }

  /// True when the outcome of the call is unknown: it may or may not have been applied.
  public var isIndeterminate: Bool {
    switch code {
    case .serverTimeout, .deadlineExceeded, .leaderChanged, .cancelled: return true
    case .unavailable: return !notSent
    default: return false
    }
  }

  /// True when the same call may succeed later without any change by the caller.
  public var isTransient: Bool {
    switch code {
    case .unhealthyCluster, .notEnoughStartedMembers, .learnerNotReady, .noLeader, .leaderChanged,
      .serverTimeout, .deadlineExceeded, .unavailable, .tooManyRequests, .tooManyLearners,
      .learnerNotSupported, .notLeader:
      return true
    default:
      return false
    }
  }

  /// Set when the transport failed before the request left this process, so it cannot have been
  /// applied and any call, even a write, may be sent to another endpoint.
  public var notSent: Bool = false
}

extension EtcdError {
  /// Classifies a gRPC error the way etcd's server reports them.
  static func from(_ error: any Error, endpoint: String?) -> EtcdError {
    if let error = error as? EtcdError { return error }
    if error is CancellationError {
      return EtcdError(.cancelled, "cancelled", endpoint: endpoint, cause: error)
    }
    guard let rpc = error as? RPCError else {
      return EtcdError(.other, String(describing: error), endpoint: endpoint, cause: error)
    }
    let message = rpc.message
    if let code = Self.serverCodes.first(where: { message.contains($0.0) })?.1 {
      return EtcdError(code, message, endpoint: endpoint, cause: rpc)
    }
    switch rpc.code {
    case .deadlineExceeded:
      return EtcdError(.deadlineExceeded, "deadline exceeded", endpoint: endpoint, cause: rpc)
    case .cancelled:
      return EtcdError(.cancelled, "cancelled", endpoint: endpoint, cause: rpc)
    case .unavailable:
      let text = Self.transportMessage(rpc, overTLS: endpoint?.hasPrefix("https://") == true)
      // Some handshake failures surface only as an alert in the message (a TLS 1.2 server).
      var transport = EtcdError(
        Self.isTLSFailure(rpc) || text.hasPrefix("TLS handshake failed") ? .tls : .unavailable, text,
        endpoint: endpoint,
        cause: rpc)
      transport.notSent = Self.transportNotSentMarkers.contains { message.contains($0) }
      return transport
    case .invalidArgument:
      return EtcdError(.invalidArgument, message, endpoint: endpoint, cause: rpc)
    case .permissionDenied:
      return EtcdError(.permissionDenied, message, endpoint: endpoint, cause: rpc)
    case .unauthenticated:
      return EtcdError(.invalidAuthToken, message, endpoint: endpoint, cause: rpc)
    default:
      return EtcdError(.other, message.isEmpty ? "\(rpc.code)" : message, endpoint: endpoint, cause: rpc)
    }
  }

  /// etcd's error strings (facts of its API, `rpctypes`), most specific first.
  private static let serverCodes: [(String, Code)] = [
    ("unhealthy cluster", .unhealthyCluster),
    ("too many learner members", .tooManyLearners),
    ("can only promote a learner member which is in sync", .learnerNotReady),
    ("can only promote a learner member", .memberNotLearner),
    ("member not found", .memberNotFound),
    ("not enough started members", .notEnoughStartedMembers),
    ("Peer URLs already exists", .peerURLExists),
    ("member ID already exist", .memberIDExists),
    ("rpc not supported for learner", .learnerNotSupported),
    ("bad leader transferee", .badLeaderTransferee),
    ("etcdserver: not leader", .notLeader),
    ("permanently removed", .memberRemoved),
    ("permission denied", .permissionDenied),
    ("user name is empty", .permissionDenied),
    ("authentication failed", .authFailed),
    ("invalid auth token", .invalidAuthToken),
    ("authentication is not enabled", .authNotEnabled),
    ("already exists", .alreadyExists),
    ("user name not found", .notFound),
    ("role name not found", .notFound),
    ("root user does not exist", .notFound),
    ("required revision has been compacted", .compacted),
    ("required revision is a future revision", .futureRevision),
    ("requested lease not found", .leaseNotFound),
    ("database space exceeded", .noSpace),
    ("too many requests", .tooManyRequests),
    ("etcdserver: no leader", .noLeader),
    ("leader changed", .leaderChanged),
    ("request timed out", .serverTimeout),
  ]

  /// Messages grpc-swift's channel uses when an RPC failed before it was written to a connection.
  private static let transportNotSentMarkers = [
    "transient failure state",
    "no subchannel available",
    "Failed to resolve",
    "Could not establish a connection",
    "Subchannel shutdown",
    "isn't ready",
  ]

  private static func isTLSFailure(_ error: RPCError) -> Bool {
    let text = String(reflecting: error)
    return text.contains("NIOSSL") || text.contains("handshakeFailed")
  }

  /// A transport failure said the way an operator needs it: what failed and what to check.
  private static func transportMessage(_ error: RPCError, overTLS: Bool) -> String {
    let text = String(reflecting: error)
    // A server that closes the connection before HTTP/2 begins speaks the other protocol: a TLS
    // server hangs up on plaintext, a plaintext etcd on a TLS ClientHello.
    let wrongProtocol =
      overTLS
      ? "the server closed the connection during the TLS handshake: it serves plain http here; use http://"
      : "the server closed the connection before HTTP/2 began: if it serves TLS, use https://"
    let diagnoses: [(String, String)] = [
      (
        "CERTIFICATE_VERIFY_FAILED",
        "TLS handshake failed: the server's certificate could not be verified with --cacert (signed by another CA, expired, or not yet valid)"
      ),
      (
        "failedToValidateHostname",
        "TLS handshake failed: the server's certificate does not name this host; connect by a name or address in its SANs"
      ),
      (
        "BAD_CERTIFICATE",
        "TLS handshake failed: the server refused the client certificate (signed by another CA, expired, or not for client use); pass a valid one signed by the cluster's CA with --cert and --key"
      ),
      (
        "CERTIFICATE_REQUIRED",
        "TLS handshake failed: the server requires a client certificate; pass --cert and --key"
      ),
      (
        "HANDSHAKE_FAILURE",
        "TLS handshake failed: the server requires a client certificate; pass --cert and --key"
      ),
      ("CERTIFICATE_EXPIRED", "TLS handshake failed: the client certificate has expired"),
      ("WRONG_VERSION_NUMBER", "TLS handshake failed: the server does not speak TLS here; use http://"),
      ("Connection refused", "connection refused: is etcd running and listening there?"),
      ("No route to host", "no route to host"),
      ("Network is unreachable", "network is unreachable"),
      ("Failed to resolve", "cannot resolve the host name"),
      ("before completing the HTTP/2 connection preface", wrongProtocol),
    ]
    if let match = diagnoses.first(where: { text.contains($0.0) }) { return match.1 }
    var reasons: [String] = []
    var cause: (any Error)? = error.cause
    while let current = cause {
      if let rpc = current as? RPCError {
        cause = rpc.cause
      } else {
        reasons.append(String(describing: current))
        cause = nil
      }
    }
    if let reason = reasons.last { return "\(error.message) (\(reason))" }
    return error.message
  }
}
