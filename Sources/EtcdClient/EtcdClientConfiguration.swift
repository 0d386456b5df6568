/// How an ``EtcdClient`` reaches and authenticates to a cluster.
public struct EtcdClientConfiguration: Sendable {
  /// The endpoints to use, in order of preference. A call that cannot reach one endpoint moves
  /// on to the next.
  public var endpoints: [EtcdEndpoint]
  /// TLS settings for `https` endpoints. `nil` uses the system's trust roots.
  public var tls: TLS?
  /// A user and password; the client authenticates on first use and again when its token expires.
  public var credentials: Credentials?
  /// The deadline of each call, unless the call is given one of its own.
  public var callTimeout: Duration
  /// Ask servers to refuse a call at once (`noLeader`) when they know no leader, instead of
  /// letting it wait for one until its deadline (etcd's `hasleader` metadata).
  public var requireLeader = false

  public init(
    endpoints: [EtcdEndpoint],
    tls: TLS? = nil,
    credentials: Credentials? = nil,
    callTimeout: Duration = .seconds(5)
  ) {
    self.endpoints = endpoints
    self.tls = tls
    self.credentials = credentials
    self.callTimeout = callTimeout
  }

  /// Files for TLS and mTLS, as etcdctl's `--cacert`, `--cert` and `--key` take them (PEM).
  public struct TLS: Sendable, Hashable {
    /// The CA that signed the servers' certificates; `nil` trusts the system's roots.
    public var caFile: String?
    /// The client certificate for mTLS.
    public var certificateFile: String?
    /// The client certificate's private key.
    public var keyFile: String?
    /// Accept any server certificate (etcdctl's `--insecure-skip-tls-verify`): tests only.
    public var skipVerification: Bool

    public init(
      caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
      skipVerification: Bool = false
    ) {
      self.caFile = caFile
      self.certificateFile = certificateFile
      self.keyFile = keyFile
      self.skipVerification = skipVerification
    }
  }

  /// A user name and password for etcd's auth.
  public struct Credentials: Sendable, Hashable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
      self.user = user
      self.password = password
    }

    /// Parses etcdctl's `--user name:password`.
    public init(parsing text: String) throws(EtcdError) {
      guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
        throw EtcdError(
          .invalidConfiguration, "malformed --user '\(text)': expected name:password")
      }
      self.init(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
  }
}
