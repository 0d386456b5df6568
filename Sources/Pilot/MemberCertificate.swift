import Foundation
import Logging
import PKI

/// The pilot's own certificate: issued at start from the CA it is given, for every name the
/// pod is reached by, and renewed before it expires.
///
/// One certificate serves etcd's client and peer listeners and the pilot's own client (server
/// and client usage); its common name is the pod's name.
public struct MemberCertificate: Sendable {
  static let fileName = "member"

  public let tls: PilotTLS
  public let issuer: CertificateIssuer
  let authority: CertificateAuthority
  public private(set) var current: IssuedCertificate
  /// When the current certificate was issued: its lifetime counts from here.
  public private(set) var issuedAt: Date

  /// Issues a new key and certificate and writes them, with the CA certificate, where etcd
  /// reads them.
  public static func issue(
    for configuration: PilotConfiguration, tls: PilotTLS, issuer: CertificateIssuer, now: Date = Date()
  ) throws(PKIError) -> MemberCertificate {
    let authority = try CertificateAuthority.read(from: issuer.caDirectory)
    let (dnsNames, addresses) = names(for: configuration, extra: issuer.extraNames)
    let issued = try authority.issue(
      commonName: configuration.name, dnsNames: dnsNames, ipAddresses: addresses, usage: [.server, .client],
      validity: issuer.validity, now: now)
    let certificate = MemberCertificate(tls: tls, issuer: issuer, authority: authority, current: issued, issuedAt: now)
    try certificate.write(includingKey: true)
    return certificate
  }

  /// When the certificate is due for renewal.
  public var renewalDue: Date { issuedAt.addingTimeInterval(issuer.validity.seconds * issuer.renewAt) }

  /// A new certificate for the same key and names.
  public mutating func renew(now: Date = Date()) throws(PKIError) {
    current = try authority.renew(current, validity: issuer.validity, now: now)
    issuedAt = now
    // The key is unchanged: only the certificate file is replaced, in one rename.
    try write(includingKey: false)
  }

  private func write(includingKey: Bool) throws(PKIError) {
    let directory = URL(fileURLWithPath: tls.certificateFile).deletingLastPathComponent().path
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw PKIError("cannot create \(directory) for the member certificate: \(error)")
    }
    try authority.write(to: directory, includeKey: false)
    if includingKey {
      try current.write(to: directory, name: Self.fileName)
    } else {
      try current.writeCertificate(to: directory, name: Self.fileName)
    }
  }

  /// The pod's names — its host, the short forms of its DNS name, the headless Service's names —
  /// and addresses, plus `extra`, as DNS names and IP addresses.
  static func names(for configuration: PilotConfiguration, extra: [String]) -> (dns: [String], ip: [String]) {
    let template = configuration.hostTemplate
    let pod = configuration.name
    let service = template.service
    let namespace = template.namespace
    let domain = template.clusterDomain
    var candidates = [template.host(name: pod, ordinal: configuration.ordinal), pod]
    for suffix in ["", ".\(namespace)", ".\(namespace).svc", ".\(namespace).svc.\(domain)"] {
      candidates += ["\(pod).\(service)\(suffix)", "\(service)\(suffix)"]
    }
    candidates += ["localhost", "127.0.0.1"]
    if configuration.listenHost != "0.0.0.0", configuration.listenHost != "::" {
      candidates.append(configuration.listenHost)
    }
    candidates += extra
    var dns: [String] = []
    var ip: [String] = []
    for name in candidates where !name.isEmpty {
      if name.allSatisfy({ $0.isNumber || $0 == "." }) || name.contains(":") {
        if !ip.contains(name) { ip.append(name) }
      } else if !dns.contains(name) {
        dns.append(name)
      }
    }
    return (dns, ip)
  }
}
