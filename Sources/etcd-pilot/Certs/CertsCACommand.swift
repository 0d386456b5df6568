import ArgumentParser
import Foundation
import PKI

/// `etcd-pilot certs ca`: a new CA (ECDSA P-256) in `ca.crt` and `ca.key`.
struct CertsCACommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ca",
    abstract: "Creates a CA (ca.crt, ca.key; ECDSA P-256) for members to issue their certificates from.",
    discussion: "An existing ca.key is never overwritten: members and clients trust the CA it belongs to.")

  @Option(help: "The directory for ca.crt and ca.key.")
  var out: String

  @Option(name: .customLong("common-name"), help: "The CA's common name.")
  var commonName = "etcd-pilot CA"

  @Option(help: "Lifetime, e.g. 3650d or 87600h.")
  var validity = "3650d"

  func run() throws {
    do {
      let lifetime = try DurationText.parse(validity, flag: "--validity")
      if FileManager.default.fileExists(atPath: "\(out)/ca.key") {
        throw PKIError("\(out)/ca.key exists: it is kept (certificates signed by it would no longer be trusted); choose another --out or move it away first")
      }
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      let authority = try CertificateAuthority.create(commonName: commonName, validity: lifetime)
      try authority.write(to: out, includeKey: true)
      print("wrote \(out)/ca.crt and \(out)/ca.key (valid until \(authority.notValidAfter)); keep ca.key secret")
    } catch {
      throw Failure.exit("certs ca", error)
    }
  }
}
