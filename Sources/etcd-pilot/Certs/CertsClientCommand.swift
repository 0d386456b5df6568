import ArgumentParser
import Foundation
import PKI

/// `etcd-pilot certs client NAME`: a client certificate for a person or a program.
struct CertsClientCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "client",
    abstract: "Issues a client certificate (NAME.crt, NAME.key, and the CA's ca.crt beside them) from a CA.",
    discussion: """
      With auth on, etcd takes the certificate's common name as the user name when a call carries \
      no password: name the certificate after an etcd user.
      """)

  @Argument(help: "The certificate's common name.")
  var name: String

  @Option(name: .customLong("ca-dir"), help: "The CA's directory (ca.crt, ca.key).")
  var caDirectory: String

  @Option(help: "Where to write the files (default: the current directory).")
  var out = "."

  @Option(help: "Lifetime, e.g. 365d or 24h.")
  var validity = "365d"

  func run() throws {
    do {
      guard !name.isEmpty, !name.contains("/") else {
        throw PKIError("'\(name)' is not a certificate name: use letters, digits, '-' or '.', e.g. backup-job")
      }
      let lifetime = try DurationText.parse(validity, flag: "--validity")
      let authority = try CertificateAuthority.read(from: caDirectory)
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      let issued = try authority.issue(commonName: name, usage: .client, validity: lifetime)
      try issued.write(to: out, name: name)
      try authority.write(to: out, includeKey: false)
      print("wrote \(out)/\(name).crt and \(out)/\(name).key (valid until \(issued.notValidAfter)) and \(out)/ca.crt")
      print("use: etcd-pilot health --cacert \(out)/ca.crt --cert \(out)/\(name).crt --key \(out)/\(name).key --endpoints https://HOST:2379")
    } catch {
      throw Failure.exit("certs client", error)
    }
  }
}
