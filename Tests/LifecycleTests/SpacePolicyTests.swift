import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Pilot
import Testing

/// etcd runs with the space policy the cluster was given: its quota, its own history
/// compaction and its corruption checks — as real etcd shows them.
@Suite("Lifecycle: space policy", .serialized, .timeLimit(.minutes(6)))
struct SpacePolicyTests {
  @Test(
    "etcd gets the quota, its compaction and its corruption checks: its metrics show the quota, old revisions get compacted",
    arguments: [EtcdVersion.v3_4, .v3_5])
  func etcdRunsThePolicy(version: EtcdVersion) async throws {
    try await withLocalCluster(
      replicas: 1, version: version, arguments: ["--quota", "64Mi", "--compaction", "periodic:2s"]
    ) {
      cluster in
      let etcd = try await cluster.etcdPID(0)
      let arguments = LocalTestCluster.commandLine(of: etcd).split(separator: " ").map(String.init)
      for flag in [
        "--quota-backend-bytes=67108864", "--auto-compaction-mode=periodic", "--auto-compaction-retention=2s",
        "--experimental-initial-corrupt-check=true",
      ] {
        #expect(arguments.contains(flag), "\(flag) missing: \(arguments)")
      }
      // 3.5.1 predates the compact-hash check (3.5.5): not passed, or etcd would refuse to start.
      #expect(!arguments.contains { $0.hasPrefix("--experimental-compact-hash-check") })

      let metrics = try ProcessOutput.run(
        "/usr/bin/env",
        [
          "python3", "-c",
          "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())",
          "http://\(cluster.address(0)):2379/metrics",
        ], timeout: 30)
      #expect(
        metrics.output.contains("etcd_server_quota_backend_bytes 6.7108864e+07"), "\(metrics.output.suffix(2000))")

      // etcd's own periodic compaction discards the history older than its retention.
      let first = try await cluster.withClient { try await $0.put("space/k", "0").header.revision }
      try await cluster.withClient { etcd in
        for value in 1...20 { _ = try await etcd.put("space/k", "\(value)") }
      }
      _ = try await eventually("etcd to compact the revisions older than 2s", timeout: .seconds(90), every: .seconds(1))
      { () -> Bool? in
        do {
          _ = try await cluster.withClient { try await $0.get("space/k", revision: first) }
          return nil
        } catch let error as EtcdError where error.code == .compacted {
          return true
        }
      }
      #expect(try await cluster.withClient { try await $0.get("space/k").kvs.first?.valueString } == "20")
    }
  }

  @Test(
    "driven into NOSPACE by a writer overwriting keys, the cluster leaves it without anyone: compact, defragment one member at a time, disarm; every acknowledged write is there",
    arguments: [EtcdVersion.v3_4, .v3_5])
  func noSpaceRecovered(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version, arguments: ["--quota", "24Mi", "--compaction", "off"]) {
      cluster in
      let value = String(repeating: "x", count: 100_000)
      var acknowledged: [String: Int] = [:]
      var refused = -1
      try await cluster.withClient(timeout: .seconds(10)) { etcd in
        var round = 0
        while round < 2000 {
          let key = "space/\(round % 10)"
          do {
            _ = try await etcd.put(key, "\(round):" + value)
            acknowledged[key] = round
          } catch let error as EtcdError where error.code == .noSpace {
            refused = round
            break
          }
          round += 1
        }
        try #require(round < 2000, "24 MiB of history never raised NOSPACE")
      }
      #expect(try await cluster.withClient { try await $0.alarms() }.contains { $0.kind == .noSpace })
      // With no manual step, writes succeed again.
      _ = try await eventually("a write to succeed again after NOSPACE", timeout: .seconds(240), every: .seconds(2)) {
        try? await cluster.withClient { try await $0.put("space/after", "ok") }
      }
      #expect(try await cluster.withClient { try await $0.alarms() }.isEmpty)
      try await cluster.withClient { etcd in
        for (key, round) in acknowledged {
          let stored = try await etcd.get(.key(key)).kvs.first?.valueString ?? ""
          // etcd applies the put that crosses the quota before it answers NOSPACE: that one
          // unacknowledged write may be there too; an older value never is.
          let crossing = key == "space/\(refused % 10)" && stored.hasPrefix("\(refused):")
          #expect(
            stored.hasPrefix("\(round):") || crossing,
            "\(key): acknowledged round \(round), stored \(stored.prefix(12))")
        }
      }
      let logs = (0..<3).map { ordinal in
        String(
          decoding: FileManager.default.contents(atPath: cluster.layout.log("etcd-\(ordinal)")) ?? Data(), as: UTF8.self
        )
      }.joined(separator: "\n")
      for line in ["compacted the history up to revision", "defragmented member", "disarmed NOSPACE"] {
        #expect(logs.contains(line), "the pilots' logs lack '\(line)'")
      }
      #expect((logs.components(separatedBy: "defragmented member").count - 1) >= 3, "every member is defragmented")
    }
  }

  @Test(
    "live data above the quota: the alarm stays, /status says why and what to do, and nothing loops or restarts",
    arguments: [EtcdVersion.v3_4, .v3_5])
  func liveDataOverQuota(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 1, version: version, arguments: ["--quota", "16Mi", "--compaction", "off"]) {
      cluster in
      let value = String(repeating: "y", count: 100_000)
      // Unique keys: live data, which no compaction or defragmentation gives back.
      try await cluster.withClient(timeout: .seconds(10)) { etcd in
        var index = 0
        while index < 1000 {
          do {
            _ = try await etcd.put("live/\(index)", value)
          } catch let error as EtcdError where error.code == .noSpace {
            break
          }
          index += 1
        }
        try #require(index < 1000, "16 MiB of live data never raised NOSPACE")
      }
      let config = try cluster.layout.readConfig()
      let space = try await eventually("the leader's /status to say NOSPACE stays", timeout: .seconds(120)) {
        let space = await PilotStatusFetch.status(at: config.pilotURL(0), tls: config.clientTLS)?.space
        return space?.verdictKind == "noSpaceOverQuota" ? space : nil
      }
      #expect(space.alarms.contains { $0.hasPrefix("NOSPACE on ") }, "\(space)")
      #expect(space.verdict.contains("raise the quota"), "\(space.verdict)")
      #expect(space.quotaBytes == 16 << 20)
      #expect(space.members.values.allSatisfy { $0.dbSizeBytes > 12 << 20 }, "\(space.members)")
      func log() -> String {
        String(decoding: FileManager.default.contents(atPath: cluster.layout.log("etcd-0")) ?? Data(), as: UTF8.self)
      }
      func count(_ text: String) -> Int { log().components(separatedBy: text).count - 1 }
      let defragmented = count("defragmented member")
      #expect(count("compacted the history up to revision") == 1)
      #expect(defragmented == 1, "one defragmentation, then the pilot waits")
      // Over five readings (every 3 s while an alarm is raised): the same verdict, nothing more
      // done, etcd never restarted. Nothing happening can only be watched for a while.
      for _ in 0..<15 {
        try await Task.sleep(for: .seconds(1))
        let later = try #require(await PilotStatusFetch.status(at: config.pilotURL(0), tls: config.clientTLS))
        #expect(later.space?.verdictKind == "noSpaceOverQuota", "\(String(describing: later.space))")
        #expect(later.etcdRestarts == 0)
      }
      #expect(count("defragmented member") == defragmented)
      #expect(count("compacted the history up to revision") == 1)
      #expect(try await cluster.withClient { try await $0.alarms() }.contains { $0.kind == .noSpace })
    }
  }
}
