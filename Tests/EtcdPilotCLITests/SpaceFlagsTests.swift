import EtcdTestFixtures
import Foundation
import Membership
import Pilot
import Testing

/// etcd's space settings as the pilot turns them into etcd's flags, and bad input for them.
@Suite("etcd-pilot: space settings", .serialized, .timeLimit(.minutes(5)))
struct SpaceFlagsTests {
  @Test(
    "the corruption checks each etcd release has: at start everywhere, after compaction from 3.5.5, feature gates on 3.6",
    arguments: [
      ("3.4.23", ["--experimental-initial-corrupt-check=true"]),
      ("3.5.1", ["--experimental-initial-corrupt-check=true"]),
      ("3.5.4", ["--experimental-initial-corrupt-check=true"]),
      ("3.5.5", ["--experimental-initial-corrupt-check=true", "--experimental-compact-hash-check-enabled=true"]),
      ("3.5.21", ["--experimental-initial-corrupt-check=true", "--experimental-compact-hash-check-enabled=true"]),
      ("3.6.14", ["--feature-gates=InitialCorruptCheck=true,CompactHashCheck=true"]),
      ("unknown", ["--experimental-initial-corrupt-check=true"]),
    ])
  func corruptionChecks(version: String, flags: [String]) {
    #expect(EtcdRelease.corruptionCheckFlags(version == "unknown" ? nil : version) == flags)
  }

  @Test("the settings become etcd's flags, and one given again in the flags passed to etcd is named")
  func flagsAndConflicts() {
    let space = SpaceSettings(
      quotaBytes: 64 << 20, compaction: .init(mode: .periodic, retention: "1h"), corruptionChecks: true)
    #expect(
      space.etcdFlags(version: "3.5.1") == [
        "--quota-backend-bytes=67108864", "--auto-compaction-mode=periodic", "--auto-compaction-retention=1h",
        "--experimental-initial-corrupt-check=true",
      ])
    #expect(SpaceSettings().etcdFlags(version: "3.5.1").isEmpty, "nothing given, nothing set: etcd's defaults")
    #expect(space.conflict(with: ["--snapshot-count=1000", "--heartbeat-interval", "200"], version: "3.5.1") == nil)
    let conflict = space.conflict(with: ["--auto-compaction-retention", "5m"], version: "3.5.1")
    #expect(conflict?.contains("--auto-compaction-retention is given twice") == true, "\(conflict ?? "none")")
    #expect(SpaceSettings(quotaBytes: 1).conflict(with: ["--auto-compaction-retention=5m"], version: nil) == nil)
  }

  @Test("sizes and retentions as users write them")
  func parsing() {
    #expect(ByteQuantity.parse("67108864") == 67_108_864)
    #expect(ByteQuantity.parse("64Mi") == 64 << 20)
    #expect(ByteQuantity.parse("1.5Gi") == 1_610_612_736)
    #expect(ByteQuantity.parse("2G") == 2_000_000_000)
    #expect(ByteQuantity.parse("lots") == nil && ByteQuantity.parse("64 Mi") == nil && ByteQuantity.parse("") == nil)
    #expect(SpaceSettings.Compaction.isRetention("1h", for: .periodic))
    #expect(SpaceSettings.Compaction.isRetention("1h30m", for: .periodic))
    #expect(SpaceSettings.Compaction.isRetention("2", for: .periodic), "etcd reads a bare number as hours")
    #expect(!SpaceSettings.Compaction.isRetention("0", for: .periodic), "0 is off, not a retention")
    #expect(!SpaceSettings.Compaction.isRetention("soon", for: .periodic))
    #expect(SpaceSettings.Compaction.isRetention("10000", for: .revision))
    #expect(!SpaceSettings.Compaction.isRetention("1h", for: .revision))
  }

  @Test("bad space flags of member and local up: one line each, nothing started or touched")
  func badInput() throws {
    let volume = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-vol-\(UUID().uuidString)"
    )
    .path
    func member(_ arguments: [String]) throws -> ProcessOutput {
      try PilotBinary.run(
        [
          "member", "--name", "etcd-0", "--etcd", EtcdVersion.v3_5.etcd, "--data-dir", volume, "--replicas-from",
          "file:/nonexistent/sts.json", "--cluster-record", "file:/nonexistent/record.json",
        ] + arguments, timeout: 20)
    }
    expectOneLineError(
      try member(["--quota-backend-bytes", "lots"]), mentions: ["--quota-backend-bytes 'lots' is not a size"],
      exitCode: 2)
    expectOneLineError(
      try member(["--auto-compaction-mode", "daily", "--auto-compaction-retention", "1h"]),
      mentions: ["--auto-compaction-mode 'daily' is not a mode: use periodic or revision"], exitCode: 2)
    expectOneLineError(
      try member(["--auto-compaction-mode", "revision", "--auto-compaction-retention", "1h"]),
      mentions: ["--auto-compaction-retention '1h' is not a retention for revision compaction"], exitCode: 2)
    expectOneLineError(
      try member(["--quota-backend-bytes", "64Mi", "--", "--quota-backend-bytes=1"]),
      mentions: ["etcd flag --quota-backend-bytes is given twice", "keep one"], exitCode: 2)
    expectOneLineError(
      try member(["--defrag-free-percent", "half"]),
      mentions: ["--defrag-free-percent 'half' is not a percentage: give a whole number from 1 to 100"], exitCode: 2)
    expectOneLineError(
      try member(["--defrag-quota-percent", "150"]), mentions: ["--defrag-quota-percent '150' is not a percentage"],
      exitCode: 2)
    expectOneLineError(
      try member(["--defrag-min-free", "lots"]), mentions: ["--defrag-min-free 'lots' is not a size"], exitCode: 2)
    #expect(!FileManager.default.fileExists(atPath: volume), "the volume was touched")

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-local-\(UUID().uuidString)"
    )
    .path
    for (arguments, message) in [
      (["--quota", "lots"], "--quota 'lots' is not a size"),
      (["--compaction", "daily"], "--compaction 'daily' is not MODE:RETENTION"),
      (["--quota", "64Mi", "--", "--quota-backend-bytes=1"], "the quota is given twice"),
    ] {
      let up = try PilotBinary.run(
        ["local", "up", "--dir", directory, "--etcd", EtcdVersion.v3_5.etcd, "--detach"] + arguments, timeout: 30)
      expectOneLineError(up, mentions: [message])
    }
    #expect(!FileManager.default.fileExists(atPath: "\(directory)/volumes"), "a pod was made")
    try? FileManager.default.removeItem(atPath: directory)
  }
}
