import ArgumentParser
import EtcdClient
import Foundation
import PKI

/// How to reach a cluster: the flags etcdctl users know.
struct ConnectionOptions: ParsableArguments {
  @Option(name: .long, help: "Comma-separated client URLs (default: $ETCDCTL_ENDPOINTS or http://127.0.0.1:2379).")
  var endpoints: String?

  @Option(
    name: .customLong("cacert"), help: "CA certificate (PEM) that signed the servers' certificates ($ETCDCTL_CACERT).")
  var caFile: String?

  @Option(name: .customLong("cert"), help: "Client certificate (PEM) for mutual TLS ($ETCDCTL_CERT).")
  var certificateFile: String?

  @Option(name: .customLong("key"), help: "Client private key (PEM) for mutual TLS ($ETCDCTL_KEY).")
  var keyFile: String?

  @Flag(name: .customLong("insecure-skip-tls-verify"), help: "Accept any server certificate (testing only).")
  var skipVerification = false

  @Option(
    name: .long,
    help: "User for etcd auth, as name:password or name (then --password or ETCDCTL_PASSWORD); default $ETCDCTL_USER.")
  var user: String?

  @Option(name: .long, help: "Password for --user.")
  var password: String?

  @Option(
    name: .customLong("command-timeout"), parsing: .unconditional, help: "Deadline of each call, e.g. 5s or 500ms.")
  var commandTimeout: String = "5s"

  @Option(
    name: .customLong("dial-timeout"), parsing: .unconditional,
    help:
      "Deadline for reaching a first endpoint (connection and first answer), as etcdctl's; default: --command-timeout.")
  var dialTimeout: String?

  /// The client configuration these flags describe; throws a one-line error for bad input.
  func clientConfiguration(environment: [String: String]) throws(EtcdError) -> EtcdClientConfiguration {
    // As etcdctl does, flags win over ETCDCTL_* variables (a pod sets them for `kubectl exec`).
    let endpoints = try EtcdEndpoint.parseList(endpoints ?? environment["ETCDCTL_ENDPOINTS"] ?? "http://127.0.0.1:2379")
    let caFile = caFile ?? environment["ETCDCTL_CACERT"]
    let certificateFile = certificateFile ?? environment["ETCDCTL_CERT"]
    let keyFile = keyFile ?? environment["ETCDCTL_KEY"]
    let timeout = try DurationText.parse(commandTimeout, flag: "--command-timeout")
    let dial = try dialTimeout.map { text throws(EtcdError) in try DurationText.parse(text, flag: "--dial-timeout") }
    var tls: EtcdClientConfiguration.TLS?
    if caFile != nil || certificateFile != nil || keyFile != nil || skipVerification {
      tls = .init(
        caFile: caFile, certificateFile: certificateFile, keyFile: keyFile, skipVerification: skipVerification)
    }
    if tls != nil, !endpoints.contains(where: { $0.scheme == .https }) {
      throw EtcdError(
        .invalidConfiguration,
        "TLS flags were given but no endpoint uses https://: write the endpoints as https://host:port")
    }
    if let tls {
      try tls.checkFiles()
      if let certificateFile = tls.certificateFile { try Self.checkValidity(ofClientCertificate: certificateFile) }
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
    var configuration = EtcdClientConfiguration(
      endpoints: endpoints, tls: tls, credentials: credentials, callTimeout: timeout)
    configuration.dialTimeout = dial
    return configuration
  }
}

extension ConnectionOptions {
  /// A server refuses an expired client certificate with a generic alert (Go's TLS sends
  /// "bad certificate"): the file is checked here, so the one line says what is wrong with it.
  static func checkValidity(ofClientCertificate path: String, now: Date = Date()) throws(EtcdError) {
    let validity: ClosedRange<Date>
    do {
      validity = try CertificateValidity.of(file: path)
    } catch {
      throw EtcdError(.invalidConfiguration, "--cert file \(path): \(error.description)", cause: error)
    }
    let time = ISO8601DateFormatter()
    if now > validity.upperBound {
      throw EtcdError(
        .invalidConfiguration,
        "--cert file \(path): the client certificate expired at \(time.string(from: validity.upperBound)): issue a new one (etcd-pilot certs client NAME --ca-dir DIR)"
      )
    }
    if now < validity.lowerBound {
      throw EtcdError(
        .invalidConfiguration,
        "--cert file \(path): the client certificate is not valid before \(time.string(from: validity.lowerBound)): check this machine's clock"
      )
    }
  }
}

/// Durations as `5s`, `500ms`, `2m`, `90d` or a bare number of seconds.
///
/// Options taking one are parsed `.unconditional`ly, so `-5s` reaches this check (and is called
/// negative) instead of being taken for a flag.
enum DurationText {
  static func parse(_ text: String, flag: String) throws(EtcdError) -> Duration {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    var seconds: Double?
    if let value = Double(text) {
      seconds = value
    } else if let (suffix, scale) = units.first(where: {
      text.hasSuffix($0.0) && Double(text.dropLast($0.0.count)) != nil
    }) {
      seconds = Double(text.dropLast(suffix.count)).map { $0 * scale }
    }
    guard let seconds, seconds.isFinite else {
      throw EtcdError(.invalidConfiguration, "\(flag) '\(text)' is not a duration: write it like 5s, 500ms or 2m")
    }
    let milliseconds = Int64(seconds * 1000)
    guard milliseconds > 0 else {
      throw EtcdError(
        .invalidConfiguration,
        "\(flag) '\(text)' is \(seconds < 0 ? "negative" : "zero"): give a duration of 1ms or more, e.g. 5s")
    }
    return .milliseconds(milliseconds)
  }
}
