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
  /// The deadline for reaching a first endpoint, when it should differ from `callTimeout`
  /// (etcdctl's `--dial-timeout`): bounds ``EtcdClient/firstAnswer(_:timeout:_:)`` when it is
  /// given no timeout of its own.
  public var dialTimeout: Duration?
  /// Where a view pinned to one member (``EtcdClient/pinned(to:)``) may authenticate besides
  /// it: the endpoints of the client it was made from. A learner refuses Authenticate, yet
  /// serves a token the cluster gave out (tokens go through raft).
  var authenticationEndpoints: [EtcdEndpoint] = []

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

    /// Checks the files before any connection uses them: each readable and of the kind its flag
    /// takes (a certificate for `--cacert` and `--cert`, a private key for `--key`), and `--cert`
    /// with `--key`. One line each, naming the file: swapped files are told apart here, not by
    /// the TLS library's "failed to load" later.
    public func checkFiles() throws(EtcdError) {
      let files: [(flag: String, path: String?, holds: PEMKind)] = [
        ("--cacert", caFile, .certificate), ("--cert", certificateFile, .certificate), ("--key", keyFile, .privateKey),
      ]
      for (flag, path, kind) in files {
        guard let path else { continue }
        guard FileCheck.isReadable(path), let text = FileCheck.contents(path) else {
          throw EtcdError(.invalidConfiguration, "cannot read \(flag) file \(path): check the path and its permissions")
        }
        guard PEMKind.of(text).contains(kind) else {
          let found = PEMKind.of(text)
          let swapped = found.contains(kind == .certificate ? .privateKey : .certificate)
          throw EtcdError(
            .invalidConfiguration,
            "\(flag) file \(path) holds no PEM \(kind.name)"
              + (swapped
                ? " but a \(kind == .certificate ? "private key" : "certificate"): are --cert and --key swapped?"
                : ": give a PEM file"))
        }
      }
      if (certificateFile == nil) != (keyFile == nil) {
        throw EtcdError(.invalidConfiguration, "--cert and --key go together: give both or neither")
      }
    }
  }

  /// What a PEM file holds, by its `-----BEGIN …-----` lines.
  struct PEMKind: OptionSet, Sendable {
    let rawValue: Int
    static let certificate = PEMKind(rawValue: 1)
    static let privateKey = PEMKind(rawValue: 2)

    var name: String { self == .certificate ? "certificate" : "private key" }

    static func of(_ text: String) -> PEMKind {
      var kinds: PEMKind = []
      for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("-----BEGIN ") {
        if line.hasSuffix(" CERTIFICATE-----") || line == "-----BEGIN CERTIFICATE-----" { kinds.insert(.certificate) }
        if line.hasSuffix("PRIVATE KEY-----") { kinds.insert(.privateKey) }
      }
      return kinds
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
