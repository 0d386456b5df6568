import Foundation
import PKI

/// TLS and auth for a local StatefulSet: the CA its members issue their certificates from, the
/// client certificate local tools use, and the root password.
public enum LocalSecurity {
  /// Turns on what was asked for a new cluster; an existing cluster keeps what it was created
  /// with (its members' URLs and its auth state are in its data).
  public static func configure(
    _ config: inout LocalClusterConfig, layout: LocalClusterLayout, tls: Bool, auth: Bool, validity: String?
  ) throws {
    let hasData = hasMemberData(layout)
    if tls, config.tlsDirectory == nil, hasData {
      throw LocalClusterError(
        "the cluster in \(layout.directory) was created without TLS and its members' URLs are http: use a new --dir for a TLS cluster")
    }
    if auth, config.rootPasswordFile == nil, hasData {
      throw LocalClusterError(
        "auth is turned on when a cluster forms, and the cluster in \(layout.directory) formed without it: use a new --dir")
    }
    if auth, !tls, config.tlsDirectory == nil {
      throw LocalClusterError("--auth sends the root password over the network: add --tls")
    }
    if tls || config.tlsDirectory != nil {
      let directory = "\(layout.directory)/tls"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let authority: CertificateAuthority
      if FileManager.default.fileExists(atPath: "\(directory)/ca.key") {
        authority = try CertificateAuthority.read(from: directory)
      } else {
        authority = try CertificateAuthority.create(commonName: "etcd-pilot local CA")
        try authority.write(to: directory, includeKey: true)
      }
      // Local tools' certificate; issued again on every `up`, so it never runs out.
      try authority.issue(commonName: "etcd-pilot-local", usage: .client).write(to: directory, name: "client")
      config.tlsDirectory = directory
      if let validity { config.tlsValidity = validity }
    }
    if auth, config.rootPasswordFile == nil {
      let directory = "\(layout.directory)/auth"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      let file = "\(directory)/root-password"
      if !FileManager.default.fileExists(atPath: file) {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let password = String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
        guard FileManager.default.createFile(atPath: file, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]) else {
          throw LocalClusterError("cannot write \(file): check the directory's permissions")
        }
      }
      config.rootPasswordFile = file
    }
  }

  /// Whether any pod's volume holds etcd data.
  static func hasMemberData(_ layout: LocalClusterLayout) -> Bool {
    let volumes = "\(layout.directory)/volumes"
    let pods = (try? FileManager.default.contentsOfDirectory(atPath: volumes)) ?? []
    return pods.contains { FileManager.default.fileExists(atPath: "\(volumes)/\($0)/etcd/member") }
  }
}
