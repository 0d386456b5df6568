import ArgumentParser
import EtcdClient
import Foundation
import PKI

/// `etcd-pilot certs ca`: a new CA (ECDSA P-256) in `ca.crt` and `ca.key`.
struct CertsCACommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ca",
    abstract: "Creates a CA (ca.crt, ca.key; ECDSA P-256) for members to issue their certificates from.",
    discussion: "An existing ca.key or ca.crt is never overwritten: members and clients trust the CA they belong to.")

  @Option(help: "The directory for ca.crt and ca.key.")
  var out: String

  @Option(name: .customLong("common-name"), help: "The CA's common name.")
  var commonName = "etcd-pilot CA"

  @Option(parsing: .unconditional, help: "Lifetime, e.g. 3650d or 87600h.")
  var validity = "3650d"

  func run() throws {
    do {
      let lifetime = try DurationText.parse(validity, flag: "--validity")
      try OutputFolder.prepare(out, flag: "--out")
      for file in ["ca.key", "ca.crt"] where FileManager.default.fileExists(atPath: "\(out)/\(file)") {
        throw PKIError(
          "\(out)/\(file) exists: it is kept (certificates signed by its CA would no longer be trusted); choose another --out or move it away first"
        )
      }
      let authority = try CertificateAuthority.create(commonName: commonName, validity: lifetime)
      try authority.write(to: out, includeKey: true, replacing: false)
      print("wrote \(out)/ca.crt and \(out)/ca.key (valid until \(authority.notValidAfter)); keep ca.key secret")
    } catch {
      throw Failure.exit("certs ca", error)
    }
  }
}

/// The folder a `certs` command writes into: named, and created if missing, with the system's
/// reason in one line when it cannot be.
enum OutputFolder {
  static func prepare(_ path: String, flag: String) throws {
    guard !path.isEmpty else { throw PKIError("\(flag) is empty: give a folder, e.g. \(flag) ./certs") }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw PKIError("\(flag) \(path) is a file: give a folder") }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw PKIError(
        FileSystemError("create the folder", path: path, foundation: error)?.description
          ?? "cannot create \(path): \(error)")
    }
  }
}
