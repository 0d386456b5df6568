import EtcdTestFixtures
import Foundation
import PKI
import Testing
import X509

@Suite("etcd-pilot certs, and the member's TLS and auth flags", .serialized, .timeLimit(.minutes(5)))
struct CertsCommandTests {
  private func scratch() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-test-certs-\(UUID().uuidString.prefix(8))").path
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

    let client = try PilotBinary.run(["certs", "client", "backup-job", "--ca-dir", "\(directory)/ca", "--out", "\(directory)/out", "--validity", "2d"])
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
    expectOneLineError(try PilotBinary.run(["certs", "ca", "--out", "\(directory)/ca"]), mentions: ["ca.key exists", "--out"])
    #expect(try String(contentsOfFile: "\(directory)/ca/ca.key", encoding: .utf8) == before)

    expectOneLineError(
      try PilotBinary.run(["certs", "client", "x", "--ca-dir", "\(directory)/nowhere"]), mentions: ["cannot read", "nowhere/ca.crt"])
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
