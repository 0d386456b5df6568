import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@testable import LocalCluster

/// Pod IPs are IPv6 on IPv6-only and dual-stack clusters, and `kubectl port-forward` connects to
/// the pod's 127.0.0.1: a pilot builds bracketed URLs for the first and, told so, also listens on
/// localhost for the second (issue 13, item 8). Run for real on this machine's `::1`.
@Suite("Lifecycle: IPv6 pod addresses and localhost", .serialized, .timeLimit(.minutes(5)))
struct AddressFamilyTests {
  @Test(
    "a pilot on ::1 forms its cluster with bracketed URLs; with --listen-localhost etcd and the pilot also answer on 127.0.0.1"
  )
  func ipv6AndLocalhost() async throws {
    for (address, port) in [("127.0.0.1", 2379), ("127.0.0.1", 2390)] {
      try #require(Loopback.isFree(address: address, port: port), "\(address):\(port) is taken")
    }
    let volume = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-ipv6-\(UUID().uuidString.prefix(8))"
    ).path
    defer { try? FileManager.default.removeItem(atPath: volume) }
    let pilot = try await PilotProcess.start(
      name: "etcd-0", replicas: 1, hostTemplate: "::1", listenHost: "::1", volume: volume, version: .v3_5,
      extraArguments: ["--listen-localhost"])
    do {
      _ = try await eventually("the pilot on [::1] to be ready", timeout: .seconds(60)) {
        await ProbeRunner.get("http://[::1]:2390/readyz", timeout: .seconds(2)) == 200 ? true : nil
      }
      let six = EtcdClientConfiguration(
        endpoints: [try EtcdEndpoint(parsing: "http://[::1]:2379")], callTimeout: .seconds(5))
      let member = try await withEtcdClient(six) { etcd in
        try await etcd.put("family", "six")
        return try #require(try await etcd.memberList().members.first)
      }
      #expect(member.peerURLs == ["http://[::1]:2380"] && member.clientURLs == ["http://[::1]:2379"], "\(member)")
      #expect(pilot.log.contains("peer http://[::1]:2380, client http://[::1]:2379"), "\(pilot.log)")

      // What kubectl port-forward reaches: the pod's 127.0.0.1.
      let four = EtcdClientConfiguration(endpoints: [EtcdEndpoint(host: "127.0.0.1")], callTimeout: .seconds(5))
      #expect(try await withEtcdClient(four) { try await $0.get("family").kvs.first?.valueString } == "six")
      #expect(await ProbeRunner.get("http://127.0.0.1:2390/healthz", timeout: .seconds(5)) == 200)
      await pilot.stop()
    } catch {
      await pilot.stop()
      throw error
    }
  }
}
