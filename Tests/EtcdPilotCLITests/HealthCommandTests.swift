import EtcdClient
import EtcdTestFixtures
import Foundation
import PKI
import Testing

@Suite("etcd-pilot health", .serialized, .timeLimit(.minutes(10)))
struct HealthCommandTests {
  private func endpointsFlag(_ cluster: EtcdTestCluster) -> String {
    cluster.endpoints.map(\.description).joined(separator: ",")
  }

  @Test("a healthy cluster: one line per member and 'cluster is healthy', exit 0", arguments: EtcdVersion.allCases)
  func healthy(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      let ids = try await cluster.withClient { try await $0.memberList().members.map(\.hexID) }
      let result = try PilotBinary.run(["health", "--endpoints", endpointsFlag(cluster)])
      #expect(result.exitCode == 0, "\(result.output)")
      let lines = result.output.split(separator: "\n").map(String.init)
      #expect(lines.last == "cluster is healthy")
      for (id, server) in zip(ids, cluster.servers) {
        _ = server
        #expect(lines.contains { $0.hasPrefix("member \(id) is healthy: got healthy result from http://") })
      }
      #expect(lines.count == 4)

      let table = try PilotBinary.run(["health", "--endpoints", endpointsFlag(cluster), "--output", "table"])
      #expect(table.exitCode == 0)
      #expect(table.output.contains("RAFT INDEX"))
      #expect(table.output.contains(version.rawValue + "."))

      let json = try PilotBinary.run(["health", "--endpoints", cluster.servers[0].endpoint.description, "-w", "json"])
      let report = try JSONDecoder().decode(ClusterHealthReport.self, from: Data(json.output.utf8))
      #expect(report.state == .healthy)
      #expect(Set(report.members.map(\.id)) == Set(ids))
      #expect(report.members.filter(\.isLeader).count == 1)
    }
  }

  @Test("one member down: it is unreachable, the cluster is degraded, exit 1", arguments: EtcdVersion.allCases)
  func degraded(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      let downID = try await cluster.withClient(endpoints: [cluster.servers[2].endpoint]) {
        try await $0.status().header.memberID.etcdHex
      }
      await cluster.servers[2].kill()
      let result = try PilotBinary.run(["health", "--endpoints", endpointsFlag(cluster)])
      #expect(result.exitCode == 1)
      #expect(result.output.contains("member \(downID) is unreachable: \(cluster.servers[2].clientURL)"))
      #expect(result.output.split(separator: "\n").last == "cluster is degraded")
    }
  }

  @Test("TLS and auth flags like etcdctl's; a wrong CA and a wrong password are one-line errors")
  func tlsAndAuth() async throws {
    try await withCluster(size: 1, version: .v3_5, tls: true) { cluster in
      let pki = try #require(cluster.tls)
      try await cluster.withClient { try await $0.enableAuth(rootPassword: "s3cret") }
      let endpoint = cluster.servers[0].endpoint.description
      let tlsFlags = ["--cacert", pki.caFile, "--cert", pki.clientFiles.certificate, "--key", pki.clientFiles.key]

      let good = try PilotBinary.run(["health", "--endpoints", endpoint, "--user", "root:s3cret"] + tlsFlags)
      #expect(good.exitCode == 0, "\(good.output)")
      #expect(good.output.contains("is healthy: got healthy result from https://"))

      let viaEnvironment = try PilotBinary.run(
        ["health", "--endpoints", endpoint, "--user", "root"] + tlsFlags, environment: ["ETCDCTL_PASSWORD": "s3cret"])
      #expect(viaEnvironment.exitCode == 0, "\(viaEnvironment.output)")

      let badPassword = try PilotBinary.run(["health", "--endpoints", endpoint, "--user", "root:wrong"] + tlsFlags)
      expectOneLineError(badPassword, mentions: ["authentication failed", "root", endpoint])

      let otherCA = "\(cluster.directory)/other-ca"
      try FileManager.default.createDirectory(atPath: otherCA, withIntermediateDirectories: true)
      let ca = try TestPKI(directory: otherCA)
      let wrongCA = try PilotBinary.run(
        [
          "health", "--endpoints", endpoint, "--user", "root:s3cret", "--cacert", ca.caFile, "--cert",
          pki.clientFiles.certificate, "--key", pki.clientFiles.key,
        ])
      expectOneLineError(wrongCA, mentions: [endpoint, "TLS handshake failed", "--cacert"])

      let noCertificate = try PilotBinary.run(["health", "--endpoints", endpoint, "--cacert", pki.caFile])
      expectOneLineError(noCertificate, mentions: [endpoint, "TLS handshake failed", "--cert"])

      let plaintext = try PilotBinary.run([
        "health", "--endpoints", endpoint.replacingOccurrences(of: "https", with: "http"),
      ])
      expectOneLineError(plaintext, mentions: ["https://"])

      // Swapped files name the file and say so, before any handshake.
      let swapped = try PilotBinary.run(
        [
          "health", "--endpoints", endpoint, "--cacert", pki.caFile, "--cert", pki.clientFiles.key, "--key",
          pki.clientFiles.certificate,
        ])
      expectOneLineError(swapped, mentions: ["--cert file \(pki.clientFiles.key)", "swapped"], exitCode: 2)
      let keyAsCA = try PilotBinary.run(["health", "--endpoints", endpoint, "--cacert", pki.clientFiles.key])
      expectOneLineError(
        keyAsCA, mentions: ["--cacert file \(pki.clientFiles.key)", "no PEM certificate"], exitCode: 2)

      // An expired client certificate of the cluster's own CA is called expired.
      let expired = try pki.authority.issue(
        commonName: "root", usage: .client, validity: .seconds(3600), now: Date().addingTimeInterval(-7200))
      try expired.write(to: cluster.directory, name: "expired")
      let expiredResult = try PilotBinary.run(
        [
          "health", "--endpoints", endpoint, "--cacert", pki.caFile, "--cert", "\(cluster.directory)/expired.crt",
          "--key",
          "\(cluster.directory)/expired.key",
        ])
      expectOneLineError(expiredResult, mentions: ["\(cluster.directory)/expired.crt", "expired at"], exitCode: 2)
    }
  }

  @Test("https:// against a plain-http etcd says use http://; etcdctl's --write-out and --dial-timeout are taken")
  func plainServerAndAliases() async throws {
    try await withCluster(size: 1, version: .v3_4) { cluster in
      let plain = cluster.servers[0].clientURL
      let https = plain.replacingOccurrences(of: "http://", with: "https://")
      let result = try PilotBinary.run([
        "health", "--endpoints", https, "--insecure-skip-tls-verify", "--command-timeout", "3s",
      ])
      expectOneLineError(result, mentions: [https, "plain http", "use http://"])
      #expect(!result.output.contains("use https://"), "\(result.output)")

      let json = try PilotBinary.run(["health", "--endpoints", plain, "--write-out", "json", "--dial-timeout", "2s"])
      #expect(json.exitCode == 0, "\(json.output)")
      #expect(try JSONDecoder().decode(ClusterHealthReport.self, from: Data(json.output.utf8)).state == .healthy)
    }
  }

  @Test("49 silent endpoints and one live: health and backup ask all at once and answer within seconds")
  func silentEndpoints() async throws {
    try await withCluster(size: 1, version: .v3_5) { cluster in
      let silent = try SilentEndpoints(count: 49)
      // The live one last: asked one at a time, every silent one would use its whole deadline first.
      let endpoints = (silent.urls + [cluster.servers[0].clientURL]).joined(separator: ",")
      let clock = ContinuousClock()
      var started = clock.now
      let health = try PilotBinary.run(["health", "--endpoints", endpoints, "--command-timeout", "3s"], timeout: 30)
      let healthTook = clock.now - started
      #expect(health.exitCode == 0, "\(health.output)")
      #expect(health.output.hasSuffix("cluster is healthy\n"), "\(health.output)")
      #expect(healthTook < .seconds(8), "health took \(healthTook)")

      let backups = "\(cluster.directory)/backups"
      try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
      started = clock.now
      let backup = try PilotBinary.run(
        ["backup", "--endpoints", endpoints, "--dir", backups, "--command-timeout", "3s"], timeout: 30)
      let backupTook = clock.now - started
      #expect(backup.exitCode == 0, "\(backup.output)")
      #expect(backupTook < .seconds(8), "backup took \(backupTook)")
      print("49 silent endpoints + 1 live: health \(healthTook), backup \(backupTook)")

      // None answering: one line naming them, within the one deadline.
      started = clock.now
      let none = try PilotBinary.run(
        ["health", "--endpoints", silent.urls.joined(separator: ","), "--command-timeout", "2s"], timeout: 30)
      #expect(clock.now - started < .seconds(8))
      expectOneLineError(
        none, mentions: ["no endpoint answered member list", silent.urls[0], silent.urls[48]], exitCode: 1)
    }
  }

  @Test("durations: 0s and -5s are called zero and negative, in one line")
  func durations() throws {
    expectOneLineError(
      try PilotBinary.run(["health", "--command-timeout", "0s"]), mentions: ["--command-timeout '0s' is zero"],
      exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["health", "--command-timeout", "-5s"]), mentions: ["--command-timeout '-5s' is negative"],
      exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["health", "--dial-timeout", "-1s"]), mentions: ["--dial-timeout '-1s' is negative"],
      exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["certs", "ca", "--out", "/nonexistent/x", "--validity", "0d"]),
      mentions: ["--validity '0d' is zero"])
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-test-none-\(UUID().uuidString)")
      .path
    expectOneLineError(
      try PilotBinary.run(["local", "up", "--dir", dir, "--timeout", "-5s", "--etcd", EtcdVersion.v3_4.etcd]),
      mentions: ["--timeout '-5s' is negative"])
    #expect(!FileManager.default.fileExists(atPath: dir))
  }

  @Test("bad input: unreachable endpoints, a malformed URL, a bad timeout")
  func badInput() throws {
    let unreachable = try PilotBinary.run(["health", "--endpoints", "http://127.0.0.1:1,http://127.0.0.1:3"])
    expectOneLineError(unreachable, mentions: ["http://127.0.0.1:1", "http://127.0.0.1:3", "refused"], exitCode: 1)

    let malformed = try PilotBinary.run(["health", "--endpoints", "http//127.0.0.1:2379"])
    expectOneLineError(malformed, mentions: ["malformed endpoint", "http//127.0.0.1:2379"], exitCode: 2)

    let timeout = try PilotBinary.run(["health", "--command-timeout", "soon"])
    expectOneLineError(timeout, mentions: ["--command-timeout", "soon"], exitCode: 2)

    let missingCA = try PilotBinary.run(["health", "--endpoints", "https://127.0.0.1:1", "--cacert", "/nope/ca.crt"])
    expectOneLineError(missingCA, mentions: ["/nope/ca.crt"], exitCode: 2)
  }
}
