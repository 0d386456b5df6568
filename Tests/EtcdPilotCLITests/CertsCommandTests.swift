import EtcdTestFixtures
import Foundation
import PKI
import Testing
import X509

@Suite("etcd-pilot certs, and the member's TLS and auth flags", .serialized, .timeLimit(.minutes(5)))
struct CertsCommandTests {
  private func scratch() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-certs-\(UUID().uuidString.prefix(8))"
    ).path
  }

  @Test("certs ca, then certs client: a P-256 CA and a client certificate it signed; an existing CA key is kept")
  func caAndClient() throws {
    let directory = scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let ca = try PilotBinary.run(["certs", "ca", "--out", "\(directory)/ca"])
    #expect(ca.exitCode == 0, "\(ca.output)")
    let authority = try CertificateAuthority.read(from: "\(directory)/ca")
    let keyMode = try FileManager.default.attributesOfItem(atPath: "\(directory)/ca/ca.key")[.posixPermissions] as? Int
    #expect(keyMode == 0o600)

    let client = try PilotBinary.run([
      "certs", "client", "backup-job", "--ca-dir", "\(directory)/ca", "--out", "\(directory)/out", "--validity", "2d",
    ])
    #expect(client.exitCode == 0, "\(client.output)")
    let issued = try IssuedCertificate.read(from: "\(directory)/out", name: "backup-job")
    #expect(issued.certificate.issuer == authority.certificate.subject)
    #expect(issued.certificate.subject.description.contains("backup-job"))
    let lifetime = issued.notValidAfter.timeIntervalSince(Date())
    // Certificate times have whole seconds.
    #expect(lifetime > 2 * 86400 - 120 && lifetime <= 2 * 86400 + 1)
    #expect(FileManager.default.fileExists(atPath: "\(directory)/out/ca.crt"))

    // Nothing is lost: a second `certs ca` into the same place refuses and keeps the key.
    let before = try String(contentsOfFile: "\(directory)/ca/ca.key", encoding: .utf8)
    expectOneLineError(
      try PilotBinary.run(["certs", "ca", "--out", "\(directory)/ca"]), mentions: ["ca.key exists", "--out"])
    #expect(try String(contentsOfFile: "\(directory)/ca/ca.key", encoding: .utf8) == before)

    expectOneLineError(
      try PilotBinary.run(["certs", "client", "x", "--ca-dir", "\(directory)/nowhere"]),
      mentions: ["cannot read", "nowhere/ca.crt"])
    expectOneLineError(
      try PilotBinary.run(["certs", "client", "x", "--ca-dir", "\(directory)/ca", "--validity", "soon"]),
      mentions: ["--validity 'soon' is not a duration"])
  }

  @Test("member: a CA directory without a key, half the certificate files, auth without TLS: one line each")
  func memberTLSBadInput() throws {
    let directory = scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: "\(directory)/empty", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: "\(directory)/password", contents: Data("secret\n".utf8))
    let base = [
      "member", "--name", "etcd-0", "--data-dir", "\(directory)/volume", "--etcd", EtcdVersion.v3_4.etcd,
      "--replicas-from", "file:/nonexistent/sts.json", "--cluster-record", "file:/nonexistent/record.json",
    ]
    expectOneLineError(
      try PilotBinary.run(base + ["--tls-ca-dir", "\(directory)/empty"], timeout: 20),
      mentions: ["has no readable ca.crt", "etcd-pilot certs ca"])
    expectOneLineError(
      try PilotBinary.run(base + ["--tls-cert-file", "\(directory)/x.crt"], timeout: 20),
      mentions: ["go together"])
    expectOneLineError(
      try PilotBinary.run(base + ["--auth-password-file", "\(directory)/password"], timeout: 20),
      mentions: ["in the clear", "--tls-ca-dir"])
    #expect(!FileManager.default.fileExists(atPath: "\(directory)/volume"), "the volume was touched")
  }
}

/// `certs` never overwrites a key or certificate it did not create in that run (issue 21).
@Suite("etcd-pilot certs: nothing it did not make is overwritten", .serialized, .timeLimit(.minutes(2)))
struct CertsKeepFilesTests {
  private func scratch() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-keep-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  private func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

  @Test(
    "certs client into the CA's own folder (--out, or the default . inside it) is refused and the CA key is unchanged")
  func caFolderRefused() throws {
    let directory = try scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let ca = "\(directory)/ca"
    #expect(try PilotBinary.run(["certs", "ca", "--out", ca]).exitCode == 0)
    let key = try #require(contents("\(ca)/ca.key"))
    let certificate = try #require(contents("\(ca)/ca.crt"))

    expectOneLineError(
      try PilotBinary.run(["certs", "client", "admin", "--ca-dir", ca, "--out", ca]),
      mentions: ["holds a CA (ca.key)", "--out"])
    // From inside the CA folder with the default --out ., and with --force too.
    let inside = try ProcessOutput.run(
      "/bin/sh", ["-c", "cd \(ca) && \(try PilotBinary.path) certs client admin --ca-dir . --force"])
    expectOneLineError(inside, mentions: ["holds a CA (ca.key)"])
    // The name "ca" would write ca.key wherever --out is.
    expectOneLineError(
      try PilotBinary.run(["certs", "client", "ca", "--ca-dir", ca, "--out", "\(directory)/out"]),
      mentions: ["'ca'", "another name"])

    #expect(contents("\(ca)/ca.key") == key, "the CA key was overwritten")
    #expect(contents("\(ca)/ca.crt") == certificate)
    #expect(try FileManager.default.contentsOfDirectory(atPath: ca).sorted() == ["ca.crt", "ca.key"])
    #expect(try CertificateAuthority.read(from: ca).certificate.subject.description.contains("etcd-pilot CA"))
  }

  @Test("an existing client key, certificate or another CA's ca.crt is kept; --force replaces the client's files")
  func existingFilesKept() throws {
    let directory = try scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (ca, other, out) = ("\(directory)/ca", "\(directory)/other", "\(directory)/out")
    #expect(try PilotBinary.run(["certs", "ca", "--out", ca]).exitCode == 0)
    #expect(try PilotBinary.run(["certs", "ca", "--out", other]).exitCode == 0)
    #expect(try PilotBinary.run(["certs", "client", "app", "--ca-dir", ca, "--out", out]).exitCode == 0)
    let key = try #require(contents("\(out)/app.key"))
    let certificate = try #require(contents("\(out)/app.crt"))

    expectOneLineError(
      try PilotBinary.run(["certs", "client", "app", "--ca-dir", ca, "--out", out]),
      mentions: ["app.key exists", "--force"])
    #expect(contents("\(out)/app.key") == key && contents("\(out)/app.crt") == certificate)
    // Another CA's ca.crt in --out is not replaced by this CA's, and nothing else is written.
    expectOneLineError(
      try PilotBinary.run(["certs", "client", "tool", "--ca-dir", other, "--out", out]),
      mentions: ["ca.crt is another CA's certificate"])
    #expect(!FileManager.default.fileExists(atPath: "\(out)/tool.key"))
    // A key file a user keeps under the name: a symlink to it is not followed or replaced.
    try FileManager.default.createSymbolicLink(atPath: "\(out)/linked.key", withDestinationPath: "\(ca)/ca.key")
    expectOneLineError(
      try PilotBinary.run(["certs", "client", "linked", "--ca-dir", ca, "--out", out]), mentions: ["linked.key exists"])
    #expect(try CertificateAuthority.read(from: ca).certificate.subject.description.contains("etcd-pilot CA"))

    let forced = try PilotBinary.run(["certs", "client", "app", "--ca-dir", ca, "--out", out, "--force"])
    #expect(forced.exitCode == 0, "\(forced.output)")
    #expect(contents("\(out)/app.key") != key)
    let issued = try IssuedCertificate.read(from: out, name: "app")
    #expect(issued.certificate.issuer == (try CertificateAuthority.read(from: ca)).certificate.subject)
    let mode = try FileManager.default.attributesOfItem(atPath: "\(out)/app.key")[.posixPermissions] as? Int
    #expect(mode == 0o600)
  }

  @Test(
    "certs ca: an empty --out, a file for --out, an unwritable parent, an existing ca.crt: one line each, no Foundation text"
  )
  func caBadOut() throws {
    let directory = try scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    expectOneLineError(try PilotBinary.run(["certs", "ca", "--out", ""]), mentions: ["--out is empty"], exitCode: 2)
    FileManager.default.createFile(atPath: "\(directory)/file", contents: Data())
    expectOneLineError(
      try PilotBinary.run(["certs", "ca", "--out", "\(directory)/file"]), mentions: ["is a file"], exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["certs", "ca", "--out", "\(directory)/file/ca"]),
      mentions: ["\(directory)/file/ca", "not a directory (ENOTDIR)"])
    try FileManager.default.createDirectory(atPath: "\(directory)/half", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: "\(directory)/half/ca.crt", contents: Data("mine".utf8))
    expectOneLineError(try PilotBinary.run(["certs", "ca", "--out", "\(directory)/half"]), mentions: ["ca.crt exists"])
    #expect(contents("\(directory)/half/ca.crt") == Data("mine".utf8))
    #expect(!FileManager.default.fileExists(atPath: "\(directory)/half/ca.key"))
    if getuid() == 0 {
      // As a user who may not write the parent (root may write anywhere).
      let locked = "\(directory)/locked"
      try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
      chmod(directory, 0o755)
      let result = try ProcessOutput.run(
        "/usr/bin/setpriv",
        [
          "--reuid=65534", "--regid=65534", "--clear-groups", "--", try PilotBinary.path, "certs", "ca", "--out",
          "\(locked)/ca",
        ])
      expectOneLineError(result, mentions: ["\(locked)/ca", "permission denied (EACCES)"])
    }
  }
}
