import EtcdTestFixtures
import Foundation
import Logging
import Membership
import Pilot
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// How the pilot's etcd child stops: what the stranded procedure trusts before it reads the WAL.
@Suite("etcd supervisor", .serialized, .timeLimit(.minutes(5)))
struct EtcdSupervisorTests {
  @Test(
    "a stop is clean when etcd exits on SIGTERM; not when it had to be killed (an etcd that does not answer SIGTERM)",
    arguments: EtcdVersion.allCases)
  func cleanOrKilled(version: EtcdVersion) async throws {
    let address = try Loopback.address(freePorts: [2379, 2380])
    let volume = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-supervisor-\(UUID().uuidString.prefix(8))"
    ).path
    defer { try? FileManager.default.removeItem(atPath: volume) }
    let configuration = PilotConfiguration(
      name: "etcd-0", ordinal: 0, statefulSet: "etcd", namespace: "test", uid: "u",
      hostTemplate: HostTemplate(
        address, statefulSet: "etcd", service: "etcd", namespace: "test", clusterDomain: "local"),
      listenHost: address, volume: volume, etcdBinary: version.etcd)
    let supervisor = EtcdSupervisor(
      configuration: configuration, volume: VolumeStore(root: volume), logger: Logger(label: "test"))
    let start = EtcdStart(
      state: .new, initialCluster: "etcd-0=http://\(address):2380", token: "t-\(UUID().uuidString.prefix(6))")
    try await supervisor.start(start)
    _ = try await eventually("etcd to write its WAL") {
      FileManager.default.fileExists(atPath: "\(volume)/etcd/member/wal") ? true : nil
    }
    #expect(await supervisor.stop(grace: .seconds(10)) == true)

    try await supervisor.start(.fromData)
    let pid = try #require(await supervisor.pid)
    _ = try await eventually("etcd to listen again") { Loopback.isFree(address: address, port: 2379) ? nil : true }
    #expect(await supervisor.isRunning)
    kill(pid, SIGSTOP)
    #expect(await supervisor.stop(grace: .seconds(2)) == false, "a killed etcd's stop counted as clean")
    #expect(await !supervisor.isRunning)
  }
}
