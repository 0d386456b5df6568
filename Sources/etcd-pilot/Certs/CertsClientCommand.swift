import ArgumentParser
import Foundation
import PKI

/// `etcd-pilot certs client NAME`: a client certificate for a person or a program.
///
/// It writes only files it creates: never into a folder that holds a CA's key, never over
/// another certificate or key (unless `--force`, and then only NAME's files and `ca.crt`).
struct CertsClientCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "client",
    abstract: "Issues a client certificate (NAME.crt, NAME.key, and the CA's ca.crt beside them) from a CA.",
    discussion: """
      With auth on, etcd takes the certificate's common name as the user name when a call carries \
      no password: name the certificate after an etcd user. Existing files are kept: --force \
      replaces NAME.crt, NAME.key and ca.crt; a folder holding a CA key (ca.key) is refused \
      either way.
      """)

  @Argument(help: "The certificate's common name.")
  var name: String

  @Option(name: .customLong("ca-dir"), help: "The CA's directory (ca.crt, ca.key).")
  var caDirectory: String

  @Option(help: "Where to write the files (default: the current directory).")
  var out = "."

  @Option(parsing: .unconditional, help: "Lifetime, e.g. 365d or 24h.")
  var validity = "365d"

  @Flag(help: "Replace NAME.crt, NAME.key and ca.crt in --out if they exist (never a CA's key).")
  var force = false

  func run() throws {
    do {
      guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
        throw PKIError("'\(name)' is not a certificate name: use letters, digits, '-' or '.', e.g. backup-job")
      }
      guard name != "ca" else {
        throw PKIError(
          "'ca' would write ca.crt and ca.key, the names of a CA's files: choose another name, e.g. ca-client")
      }
      let lifetime = try DurationText.parse(validity, flag: "--validity")
      let authority = try CertificateAuthority.read(from: caDirectory)
      try OutputFolder.prepare(out, flag: "--out")
      // Whatever --force says: a client key beside a CA key is one mistake away from replacing it.
      if FileManager.default.fileExists(atPath: "\(out)/ca.key") {
        throw PKIError(
          "--out \(out) holds a CA (ca.key): client files are never written beside a CA's key; give another --out, e.g. --out ./\(name)"
        )
      }
      if !force {
        for file in ["\(name).key", "\(name).crt"] where FileManager.default.fileExists(atPath: "\(out)/\(file)") {
          throw PKIError("\(out)/\(file) exists: it is kept; give --force to replace \(name)'s files, or another --out")
        }
      }
      let caCertificate = try authority.certificatePEM
      let existingCA = FileManager.default.contents(atPath: "\(out)/ca.crt").map { String(decoding: $0, as: UTF8.self) }
      if let existingCA, existingCA != caCertificate, !force {
        throw PKIError(
          "\(out)/ca.crt is another CA's certificate: it is kept; give --force to replace it, or another --out")
      }
      let issued = try authority.issue(commonName: name, usage: .client, validity: lifetime)
      try issued.write(to: out, name: name, replacing: force)
      if existingCA != caCertificate { try authority.write(to: out, includeKey: false, replacing: force) }
      print("wrote \(out)/\(name).crt and \(out)/\(name).key (valid until \(issued.notValidAfter)) and \(out)/ca.crt")
      print(
        "use: etcd-pilot health --cacert \(out)/ca.crt --cert \(out)/\(name).crt --key \(out)/\(name).key --endpoints https://HOST:2379"
      )
    } catch {
      throw Failure.exit("certs client", error)
    }
  }
}
