import ArgumentParser
import EtcdClient

/// How to reach a cluster: the flags etcdctl users know.
struct ConnectionOptions: ParsableArguments {
  @Option(name: .long, help: "Comma-separated client URLs (default: $ETCDCTL_ENDPOINTS or http://127.0.0.1:2379).")
  var endpoints: String?

  @Option(name: .customLong("cacert"), help: "CA certificate (PEM) that signed the servers' certificates ($ETCDCTL_CACERT).")
  var caFile: String?

  @Option(name: .customLong("cert"), help: "Client certificate (PEM) for mutual TLS ($ETCDCTL_CERT).")
  var certificateFile: String?

  @Option(name: .customLong("key"), help: "Client private key (PEM) for mutual TLS ($ETCDCTL_KEY).")
  var keyFile: String?

  @Flag(name: .customLong("insecure-skip-tls-verify"), help: "Accept any server certificate (testing only).")
  var skipVerification = false

  @Option(name: .long, help: "User for etcd auth, as name:password or name (then --password or ETCDCTL_PASSWORD); default $ETCDCTL_USER.")
  var user: String?

  @Option(name: .long, help: "Password for --user.")
  var password: String?

  @Option(name: .customLong("command-timeout"), help: "Deadline of each call, e.g. 5s or 500ms.")
  var commandTimeout: String = "5s"

  /// The client configuration these flags describe; throws a one-line error for bad input.
  func clientConfiguration(environment: [String: String]) throws(EtcdError) -> EtcdClientConfiguration {
    // As etcdctl does, flags win over ETCDCTL_* variables (a pod sets them for `kubectl exec`).
    let endpoints = try EtcdEndpoint.parseList(endpoints ?? environment["ETCDCTL_ENDPOINTS"] ?? "http://127.0.0.1:2379")
    let caFile = caFile ?? environment["ETCDCTL_CACERT"]
    let certificateFile = certificateFile ?? environment["ETCDCTL_CERT"]
    let keyFile = keyFile ?? environment["ETCDCTL_KEY"]
    let timeout = try DurationText.parse(commandTimeout, flag: "--command-timeout")
    var tls: EtcdClientConfiguration.TLS?
    if caFile != nil || certificateFile != nil || keyFile != nil || skipVerification {
      tls = .init(caFile: caFile, certificateFile: certificateFile, keyFile: keyFile, skipVerification: skipVerification)
    }
    if tls != nil, !endpoints.contains(where: { $0.scheme == .https }) {
      throw EtcdError(
        .invalidConfiguration, "TLS flags were given but no endpoint uses https://: write the endpoints as https://host:port")
    }
    var credentials: EtcdClientConfiguration.Credentials?
    if let user = user ?? environment["ETCDCTL_USER"] {
      if user.contains(":") {
        credentials = try .init(parsing: user)
      } else if let password = password ?? environment["ETCDCTL_PASSWORD"] {
        credentials = .init(user: user, password: password)
      } else {
        throw EtcdError(.invalidConfiguration, "--user \(user) has no password: use --user name:password or --password")
      }
    }
    return EtcdClientConfiguration(endpoints: endpoints, tls: tls, credentials: credentials, callTimeout: timeout)
  }
}

/// Durations as `5s`, `500ms`, `2m`, `90d` or a bare number of seconds.
enum DurationText {
  static func parse(_ text: String, flag: String) throws(EtcdError) -> Duration {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
      if let value = Double(text.dropLast(suffix.count)), value > 0 {
        return .milliseconds(Int64(value * scale * 1000))
      }
    }
    if let value = Double(text), value > 0 { return .milliseconds(Int64(value * 1000)) }
    throw EtcdError(.invalidConfiguration, "\(flag) '\(text)' is not a duration: write it like 5s, 500ms or 2m")
  }
}
