import EtcdClient
import EtcdTestFixtures
import Foundation
import PKI
import Testing

@Suite("TLS", .serialized, .timeLimit(.minutes(10)))
struct TLSTests {
  @Test(
    "mTLS with a test CA: reads and writes work; plaintext, a missing certificate or another CA are refused",
    arguments: EtcdVersion.allCases)
  func mutualTLS(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version, tls: true) { cluster in
      let pki = try #require(cluster.tls)
      try await cluster.withClient { etcd in
        try await etcd.put("secure", "yes")
        #expect(try await etcd.get("secure").kvs.first?.valueString == "yes")
        #expect(
          try await etcd.memberList().members.allSatisfy { $0.clientURLs.allSatisfy { $0.hasPrefix("https://") } })
      }

      let endpoint = cluster.servers[0].endpoint
      // No client certificate: the server requires one.
      try await withEtcdClient(.init(endpoints: [endpoint], tls: .init(caFile: pki.caFile), callTimeout: .seconds(3))) {
        etcd in
        let error = await #expect(throws: EtcdError.self, "a client without a certificate was served") {
          _ = try await etcd.get("secure")
        }
        #expect([.tls, .unavailable].contains(error?.code ?? .other))
        #expect(error?.description.contains(endpoint.description) == true)
      }

      // A CA that did not sign the server's certificate: the client refuses the server.
      let otherDirectory = "\(cluster.directory)/other-ca"
      try FileManager.default.createDirectory(atPath: otherDirectory, withIntermediateDirectories: true)
      let other = try CertificateAuthority.create(commonName: "another CA")
      try other.write(to: otherDirectory, includeKey: false)
      try other.issue(commonName: "stranger", usage: .client).write(to: otherDirectory, name: "stranger")
      let strangerTLS = EtcdClientConfiguration.TLS(
        caFile: "\(otherDirectory)/ca.crt", certificateFile: "\(otherDirectory)/stranger.crt",
        keyFile: "\(otherDirectory)/stranger.key")
      try await withEtcdClient(.init(endpoints: [endpoint], tls: strangerTLS, callTimeout: .seconds(3))) { etcd in
        let error = await #expect(throws: EtcdError.self, "a server signed by another CA was trusted") {
          _ = try await etcd.get("secure")
        }
        #expect(error?.code == .tls || error?.code == .unavailable)
      }

      // Plain HTTP to a TLS port.
      var plain = endpoint
      plain.scheme = .http
      try await withEtcdClient(.init(endpoints: [plain], callTimeout: .seconds(3))) { etcd in
        _ = await #expect(throws: EtcdError.self) { _ = try await etcd.get("secure") }
      }

      // A missing CA file is a configuration error naming the file.
      try await withEtcdClient(.init(endpoints: [endpoint], tls: .init(caFile: "/nonexistent/ca.crt"))) { etcd in
        let error = await #expect(throws: EtcdError.self, "a missing CA file was accepted") {
          _ = try await etcd.get("secure")
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("/nonexistent/ca.crt") == true)
      }
    }
  }
}
