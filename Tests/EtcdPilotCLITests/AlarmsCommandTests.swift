import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

/// `etcd-pilot alarms` against real etcd: a clean cluster, and a member driven into NOSPACE and
/// out of it the way the refusal says — compact, `etcd-pilot defrag`, then `--disarm`.
@Suite("etcd-pilot alarms", .serialized, .timeLimit(.minutes(10)))
struct AlarmsCommandTests {
  @Test("a clean cluster: 'no alarms', exit 0, also with --disarm")
  func clean() async throws {
    try await withCluster(size: 3, version: .v3_4) { cluster in
      let endpoints = cluster.endpoints.map(\.description).joined(separator: ",")
      let result = try PilotBinary.run(["alarms", "--endpoints", endpoints])
      #expect(result.exitCode == 0, "\(result.output)")
      #expect(result.output == "no alarms\n", "\(result.output)")
      let disarm = try PilotBinary.run(["alarms", "--endpoints", endpoints, "--disarm"])
      #expect(disarm.exitCode == 0, "\(disarm.output)")
      #expect(disarm.output == "no alarms: nothing to disarm\n", "\(disarm.output)")
    }
  }

  @Test(
    "NOSPACE: listed; --disarm refused while the database is full; after compact and defrag --all it is disarmed",
    arguments: EtcdVersion.allCases)
  func noSpace(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version, etcdArguments: ["--quota-backend-bytes", "\(16 << 20)"]) {
      cluster in
      let endpoint = cluster.servers[0].endpoint.description
      let id = try await cluster.withClient(timeout: .seconds(10)) { client in
        // Every overwrite keeps the old value as history: the database fills to the quota.
        let value = [UInt8](repeating: 0x62, count: 1 << 20)
        _ = try await eventually("etcd to refuse a write with NOSPACE", timeout: .seconds(120), every: .zero) {
          do {
            try await client.put("big", value)
            return nil as Bool?
          } catch {
            guard (error as? EtcdError)?.code == .noSpace else { throw error }
            return true
          }
        }
        return try await client.status().header.memberID.etcdHex
      }

      let listed = try PilotBinary.run(["alarms", "--endpoints", endpoint])
      #expect(listed.exitCode == 0, "\(listed.output)")
      #expect(listed.output == "member \(id) (m0): NOSPACE\n", "\(listed.output)")

      let early = try PilotBinary.run(["alarms", "--endpoints", endpoint, "--disarm", "--quota", "16Mi"])
      expectOneLineError(
        early, mentions: ["member \(id) (m0)'s database is", "of the quota (16 MiB)", "etcd-pilot defrag"], exitCode: 1)
      #expect(try PilotBinary.run(["alarms", "--endpoints", endpoint]).output.contains("NOSPACE"), "disarmed anyway")

      try await cluster.withClient { client in
        let revision = try await client.get("big").header.revision
        try await client.compact(revision: revision, physical: true)
      }
      let defrag = try PilotBinary.run(["defrag", "--endpoints", endpoint, "--all"], timeout: 120)
      #expect(defrag.exitCode == 0, "\(defrag.output)")
      #expect(
        defrag.output.contains("NOSPACE is raised: the pass runs without the membership lock"), "\(defrag.output)")
      #expect(defrag.output.contains("defragmented member \(id) (m0): database "), "\(defrag.output)")

      let disarmed = try PilotBinary.run(["alarms", "--endpoints", endpoint, "--disarm", "--quota", "16Mi"])
      #expect(disarmed.exitCode == 0, "\(disarmed.output)")
      #expect(disarmed.output.hasPrefix("disarmed NOSPACE of member \(id) (m0)"), "\(disarmed.output)")
      try await cluster.withClient { client in
        try await client.put("after", "written")
        #expect(try await client.get("after").kvs.first?.valueString == "written")
      }
      #expect(try PilotBinary.run(["alarms", "--endpoints", endpoint]).output == "no alarms\n")
    }
  }
}
