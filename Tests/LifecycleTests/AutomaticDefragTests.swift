import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

/// The pilots' own defragmentation pass (issue 15), on real etcd: what a user checks in the
/// databases' sizes and in the pilots' logs.
@Suite("Lifecycle: defragmentation by the pilots", .serialized, .timeLimit(.minutes(10)))
struct AutomaticDefragTests {
  /// One pilot's defragmentation: decided at `start`, done at `end` (its log's seconds).
  struct Defragmentation {
    var pilot: String
    var member: String
    var start: Date
    var end: Date
  }

  @Test(
    "a fragmented cluster with a member down: the pass waits for it, then every member is defragmented, one at a time, none by its own pilot while it leads",
    arguments: [EtcdVersion.v3_4, .v3_5])
  func fragmentedCluster(version: EtcdVersion) async throws {
    try await withLocalCluster(
      replicas: 3, version: version, arguments: ["--compaction", "off", "--pilot-arg=--defrag-min-free=8Mi"]
    ) { cluster in
      let ids = try await cluster.memberIDs()
      let leader = try await leaderOrdinal(cluster)
      let down = leader == 2 ? 1 : 2
      // Down for a minute: the pass comes due while it is away and must wait for it.
      try await cluster.kill(down, hold: 60, wait: false)
      let value = String(repeating: "f", count: 100_000)
      try await cluster.withClient(timeout: .seconds(10)) { etcd in
        for index in 0..<300 { _ = try await etcd.put("frag/\(index)", value) }
        _ = try await etcd.delete(.prefix("frag/"))
        let revision = try await etcd.status().header.revision
        _ = try await etcd.compact(revision: revision, physical: true)
        // etcd reports the pages a compaction freed once a write followed it.
        _ = try await etcd.put("frag/after", "x")
      }
      let leaderLog = cluster.layout.log("etcd-\(leader)")
      _ = try await eventually("the leader's pilot to wait for etcd-\(down)", timeout: .seconds(90), every: .seconds(1))
      {
        () -> Bool? in
        Self.read(leaderLog).contains("defragmentation due, but voter etcd-\(down) is down") ? true : nil
      }
      #expect(!Self.read(leaderLog).contains("defragmented member"), "nothing is defragmented while a voter is down")
      // Back, caught up: every member's database shrinks.
      _ = try await eventually("every member's database to be defragmented", timeout: .seconds(360), every: .seconds(3))
      { () async -> [Int64]? in
        var sizes: [Int64] = []
        for ordinal in 0..<3 {
          guard
            let status = try? await cluster.withClient(
              endpoints: [cluster.endpoint(ordinal)], { try await $0.status() })
          else { return nil }
          sizes.append(status.dbSize)
        }
        return sizes.allSatisfy { $0 < 16 << 20 } ? sizes : nil
      }
      let passes = (0..<3).flatMap {
        Self.defragmentations(in: Self.read(cluster.layout.log("etcd-\($0)")), "etcd-\($0)")
      }
      let hex = Dictionary(uniqueKeysWithValues: ids.map { ($0.key, String($0.value, radix: 16)) })
      #expect(Set(passes.map(\.member)) == Set(hex.values), "every member once at least: \(passes)")
      // Never a pilot's own member: the leader hands leadership away first (a cluster of three).
      for pass in passes { #expect(pass.member != hex[pass.pilot], "\(pass.pilot) defragmented its own member") }
      let logs = (0..<3).map { Self.read(cluster.layout.log("etcd-\($0)")) }.joined(separator: "\n")
      #expect(logs.contains("handing leadership to"), "the leader's member went last, after a handoff")
      // Never two at once, from the pilots' records.
      for (index, first) in passes.enumerated() {
        for second in passes.dropFirst(index + 1) {
          #expect(
            !(first.start < second.end && second.start < first.end), "two at once: \(first) and \(second)")
        }
      }
    }
  }

  private func leaderOrdinal(_ cluster: LocalTestCluster) async throws -> Int {
    for ordinal in 0..<3 {
      let status = try await cluster.withClient(endpoints: [cluster.endpoint(ordinal)]) { try await $0.status() }
      if status.isLeader { return ordinal }
    }
    throw LocalClusterError("no member leads")
  }

  static func read(_ path: String) -> String {
    String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
  }

  /// The defragmentations a pilot's log records: its decision line, then its "defragmented
  /// member" line.
  static func defragmentations(in log: String, _ pilot: String) -> [Defragmentation] {
    let format = DateFormatter()
    format.locale = Locale(identifier: "en_US_POSIX")
    format.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
    var started: [String: Date] = [:]
    var done: [Defragmentation] = []
    for line in log.split(separator: "\n") {
      guard let stamp = line.split(separator: " ").first.flatMap({ format.date(from: String($0)) }) else { continue }
      if let range = line.range(of: "decision: defragment ") {
        started[String(line[range.upperBound...].prefix { $0 != ":" })] = stamp
      } else if let range = line.range(of: "defragmented member ") {
        let member = String(line[range.upperBound...].prefix { $0 != ":" })
        done.append(.init(pilot: pilot, member: member, start: started[member] ?? stamp, end: stamp))
      }
    }
    return done
  }
}
