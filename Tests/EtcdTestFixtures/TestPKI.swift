import Foundation
import PKI

/// A test CA and the certificates a test cluster needs, written as PEM files in one directory.
///
/// Each member gets one certificate for serving and for dialing peers (server and client auth),
/// with its name and address as SANs; `client` is for the test's own client.
public struct TestPKI: Sendable {
  public let directory: String
  public let authority: CertificateAuthority

  public var caFile: String { "\(directory)/ca.crt" }

  public init(directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    self.directory = directory
    authority = try CertificateAuthority.create(commonName: "etcd-pilot test CA")
    try authority.write(to: directory, includeKey: true)
    try authority.issue(commonName: "client", usage: .client).write(to: directory, name: "client")
  }

  /// Issues the member certificate for `name` at `address`.
  public func issueServer(name: String, address: String) throws {
    try authority.issue(
      commonName: name, dnsNames: [name, "localhost"], ipAddresses: [address], usage: [.server, .client]
    ).write(to: directory, name: name)
  }

  public func serverFiles(for name: String) -> (certificate: String, key: String) {
    ("\(directory)/\(name).crt", "\(directory)/\(name).key")
  }

  /// Client certificate and key files for the test's client.
  public var clientFiles: (certificate: String, key: String) {
    ("\(directory)/client.crt", "\(directory)/client.key")
  }
}
