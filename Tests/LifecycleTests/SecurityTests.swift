import EtcdClient
import EtcdTestFixtures
import Foundation
import NIOCore
import PKI
import PeerProxy
import Pilot
import Testing

@testable import LocalCluster

/// TLS for peers and clients, certificate rotation and auth, on the local StatefulSet with
/// `local up --tls --auth`: what a user checks after turning them on.
@Suite("Security: TLS, rotation, auth", .serialized, .timeLimit(.minutes(10)))
struct SecurityTests {
  @Test(
    "TLS and auth: every URL is https, a member joins, strangers are refused with a clear error",
    arguments: EtcdVersion.allCases)
  func tlsAndAuth(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version, arguments: ["--tls", "--auth"]) { cluster in
      let config = try cluster.layout.readConfig()
      let tls = try #require(config.clientTLS)
      try await cluster.withClient { etcd in
        try await etcd.put("secure", "yes")
        let members = try await etcd.memberList().members
        #expect(members.count == 3)
        #expect(
          members.allSatisfy { member in
            member.peerURLs.allSatisfy { $0.hasPrefix("https://") }
              && member.clientURLs.allSatisfy { $0.hasPrefix("https://") }
          })
      }
      let endpoint = cluster.endpoint(0)

      // The cluster's client certificate without the root password: etcd takes the certificate's
      // name as the user, who has no rights.
      try await withEtcdClient(.init(endpoints: [endpoint], tls: tls, callTimeout: .seconds(3))) { etcd in
        let error = await #expect(throws: EtcdError.self) { _ = try await etcd.get("secure") }
        #expect(error?.code == .permissionDenied, "\(String(describing: error))")
      }
      // A wrong password.
      try await withEtcdClient(
        .init(
          endpoints: [endpoint], tls: tls, credentials: .init(user: "root", password: "wrong"), callTimeout: .seconds(3)
        )
      ) { etcd in
        let error = await #expect(throws: EtcdError.self) { _ = try await etcd.get("secure") }
        #expect(error?.code == .authFailed, "\(String(describing: error))")
      }

      // No client certificate.
      try await expectRefused(endpoint, .init(caFile: tls.caFile), saying: "requires a client certificate")
      // A client certificate from another CA.
      let strangers = "\(cluster.directory)/strangers"
      try FileManager.default.createDirectory(atPath: strangers, withIntermediateDirectories: true)
      let other = try CertificateAuthority.create(commonName: "another CA")
      try other.issue(commonName: "root", usage: .client).write(to: strangers, name: "other-ca")
      try await expectRefused(
        endpoint,
        .init(caFile: tls.caFile, certificateFile: "\(strangers)/other-ca.crt", keyFile: "\(strangers)/other-ca.key"),
        saying: "refused the client certificate")
      // No pod holds a key etcd trusts for clients (issue 13, item 4): with the members' CA,
      // whose key every member is given to issue its own certificate, a CN=root certificate is
      // refused; from the clients' CA, which no pod is given, the same name is root itself.
      let pods = LocalTestCluster.runningProcesses(mentioning: "--tls-ca-dir")
      #expect(!pods.isEmpty)
      for pid in pods {
        let arguments = String(
          decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self)
        #expect(!arguments.contains("tls-clients"), "a pod is given the clients' CA: \(arguments)")
      }
      let members = try CertificateAuthority.read(from: try #require(config.tlsDirectory))
      try members.issue(commonName: "root", usage: .client).write(to: strangers, name: "root-from-members-ca")
      try await expectRefused(
        endpoint,
        .init(
          caFile: tls.caFile, certificateFile: "\(strangers)/root-from-members-ca.crt",
          keyFile: "\(strangers)/root-from-members-ca.key"),
        saying: "refused the client certificate")
      let authority = try CertificateAuthority.read(from: try #require(config.tlsClientsDirectory))
      try authority.issue(commonName: "root", usage: .client).write(to: strangers, name: "root-from-clients-ca")
      let rootByCertificate = EtcdClientConfiguration(
        endpoints: [endpoint],
        tls: .init(
          caFile: tls.caFile, certificateFile: "\(strangers)/root-from-clients-ca.crt",
          keyFile: "\(strangers)/root-from-clients-ca.key"),
        callTimeout: .seconds(3))
      #expect(try await withEtcdClient(rootByCertificate) { try await $0.get("secure").kvs.count } == 1)

      // An expired client certificate from the clients' CA.
      try authority.issue(
        commonName: "root", usage: .client, validity: .seconds(600), now: Date().addingTimeInterval(-3600)
      )
      .write(to: strangers, name: "expired")
      try await expectRefused(
        endpoint,
        .init(caFile: tls.caFile, certificateFile: "\(strangers)/expired.crt", keyFile: "\(strangers)/expired.key"),
        saying: "refused the client certificate")
      // A server reached by an address its certificate does not name (through a TCP relay).
      let relayAddress = "\(cluster.addressBase).200"
      let relay = try await PeerProxy.bind(
        pod: "relay", listen: try SocketAddress(ipAddress: relayAddress, port: 2379),
        target: try SocketAddress(ipAddress: endpoint.host, port: endpoint.port), faults: FaultTable())
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await relay.run() }
        try await expectRefused(
          EtcdEndpoint(scheme: .https, host: relayAddress, port: 2379), tls, saying: "does not name this host")
        group.cancelAll()
      }

      // The pilots' port speaks TLS too (the bootstrap above read every peer's /status over it
      // with member certificates): /status answers only a client of the cluster's CA, the
      // probes' endpoints answer a kubelet's probe, which presents no certificate.
      let pilot = config.pilotURL(0)
      #expect(pilot.hasPrefix("https://"), "\(pilot)")
      #expect(await PilotStatusFetch.status(at: pilot, tls: tls)?.pod == "etcd-0")
      #expect(await ProbeRunner.get(pilot + "/readyz", timeout: .seconds(3)) == 200)
      #expect(await ProbeRunner.get(pilot + "/status", timeout: .seconds(3)) == 403)
      #expect(
        await ProbeRunner.get("http://\(cluster.address(0)):2390/readyz", timeout: .seconds(3)) == nil,
        "plain HTTP answered")
      let stranger = EtcdClientConfiguration.TLS(
        caFile: tls.caFile, certificateFile: "\(strangers)/other-ca.crt", keyFile: "\(strangers)/other-ca.key")
      #expect(
        await PilotStatusFetch.status(at: pilot, tls: stranger) == nil, "a certificate of another CA read /status")

      // A member joins the TLS cluster (as a learner, then promoted: under auth etcd accepts a
      // promotion only at the leader).
      try await cluster.scale(4)
      try await cluster.expectMembers(4)
      let count = try await cluster.withClient(endpoints: [cluster.endpoint(3)]) {
        try await $0.get("secure", serializable: true).kvs.count
      }
      #expect(count == 1)
    }
  }

  @Test(
    "with auth, a member that caught up from a snapshot serves authenticated calls (etcd issue 13134)",
    arguments: EtcdVersion.allCases)
  func joinFromSnapshotWithAuth(version: EtcdVersion) async throws {
    // Frequent snapshots: the new member is caught up by a snapshot, not by log entries.
    try await withLocalCluster(
      replicas: 3, version: version, arguments: ["--tls", "--auth", "--", "--snapshot-count=100"]
    ) { cluster in
      try await cluster.withClient { etcd in for index in 0..<300 { try await etcd.put("s/\(index)", "v") } }
      try await cluster.scale(4)
      try await cluster.expectMembers(4)
      // etcd leaves its token provider off after such a recovery and refuses every token; the
      // pilot notices and restarts it. A root client on that member alone must get through.
      let count = try await eventually(
        "etcd-3 to accept the root user's token", timeout: .seconds(90), every: .seconds(1)
      ) { () -> Int64? in
        try? await cluster.withClient(endpoints: [cluster.endpoint(3)], timeout: .seconds(2)) {
          try await $0.get(.prefix("s/"), countOnly: true).count
        }
      }
      #expect(count == 300)
    }
  }

  @Test("short-lived certificates are renewed under a running writer: no request fails, the cluster stays healthy")
  func rotationWithoutFailures() async throws {
    // Twelve-second certificates, renewed every eight: the run outlives several of them.
    try await withLocalCluster(replicas: 3, version: .v3_5, arguments: ["--tls", "--tls-validity", "12s"]) { cluster in
      let config = try cluster.layout.readConfig()
      let volume = cluster.layout.volume("etcd-0") + "/tls"
      let first = try IssuedCertificate.read(from: volume, name: "member")
      let started = ContinuousClock.now
      var writes = 0
      var failures: [String] = []
      // A long-lived client (its connection was made before the rotation) and a fresh client
      // per write (a new handshake each time: it sees whatever certificate etcd serves now).
      try await cluster.withClient { longLived in
        while ContinuousClock.now - started < .seconds(40) {
          let ordinal = writes % 3
          do {
            try await longLived.put("long/\(writes)", "v")
            try await withEtcdClient(
              try config.clientConfiguration([cluster.endpoint(ordinal)], callTimeout: .seconds(5))
            ) {
              try await $0.put("fresh/\(writes)", "v")
            }
          } catch {
            failures.append("write \(writes) via etcd-\(ordinal): \(error)")
          }
          writes += 1
          try await Task.sleep(for: .milliseconds(100))
        }
      }
      #expect(failures.isEmpty, "\(failures.count) of \(writes) writes failed: \(failures.prefix(3))")
      #expect(writes > 50)
      // The certificate the cluster started with has expired; members now serve renewed ones.
      #expect(first.notValidAfter < Date())
      let last = try IssuedCertificate.read(from: volume, name: "member")
      #expect(last.notValidAfter > Date())
      #expect(try last.certificatePEM != first.certificatePEM)
      let renewals =
        try String(contentsOfFile: cluster.layout.log("etcd-0"), encoding: .utf8)
        .components(separatedBy: "renewed this member's certificate").count - 1
      #expect(renewals >= 3, "etcd-0 renewed its certificate \(renewals) times")
      // The pilot port serves the renewed certificate too (the first expired long ago).
      for ordinal in 0..<3 {
        #expect(
          await PilotStatusFetch.status(at: config.pilotURL(ordinal), tls: config.clientTLS) != nil,
          "etcd-\(ordinal)'s /status")
      }
      try await cluster.expectMembers(3)
    }
  }

  private func expectRefused(
    _ endpoint: EtcdEndpoint, _ tls: EtcdClientConfiguration.TLS, saying text: String
  ) async throws {
    try await withEtcdClient(.init(endpoints: [endpoint], tls: tls, callTimeout: .seconds(3))) { etcd in
      let error = await #expect(throws: EtcdError.self, "served despite: \(text)") { _ = try await etcd.get("secure") }
      #expect(error?.code == .tls, "\(String(describing: error))")
      #expect(error?.description.contains(text) == true, "\(String(describing: error))")
    }
  }
}
