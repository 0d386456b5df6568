import EtcdTestFixtures
import Foundation
import Pilot
import Testing

@Suite("etcd-pilot member and local: bad input", .serialized, .timeLimit(.minutes(10)))
struct BadInputTests {
  private func member(_ arguments: [String], volume: String) throws -> ProcessOutput {
    try PilotBinary.run(
      [
        "member", "--data-dir", volume, "--replicas-from", "file:/nonexistent/sts.json",
        "--cluster-record", "file:/nonexistent/record.json",
      ] + arguments, timeout: 20)
  }

  @Test(
    "a name with no ordinal, a missing etcd binary, an unknown placeholder, a bad duration: one line each, nothing touched"
  )
  func memberBadInput() throws {
    let volume = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-vol-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: volume) }
    expectOneLineError(
      try member(["--name", "etcd", "--etcd", EtcdVersion.v3_4.etcd], volume: volume),
      mentions: ["'etcd' has no ordinal"])
    expectOneLineError(
      try member(["--name", "etcd-07", "--etcd", EtcdVersion.v3_4.etcd], volume: volume), mentions: ["no ordinal"])
    expectOneLineError(
      try member(["--name", "etcd-0", "--etcd", "/nonexistent/etcd"], volume: volume),
      mentions: ["/nonexistent/etcd", "--etcd"])
    expectOneLineError(
      try member(["--name", "etcd-0", "--etcd", "/bin/true"], volume: volume), mentions: ["is not etcd"])
    expectOneLineError(
      try member(["--name", "etcd-0", "--etcd", EtcdVersion.v3_4.etcd, "--host-template", "{pod}.x"], volume: volume),
      mentions: ["unknown placeholder {pod}"])
    expectOneLineError(
      try member(["--name", "etcd-0", "--etcd", EtcdVersion.v3_4.etcd, "--promote-after", "soon"], volume: volume),
      mentions: ["--promote-after 'soon' is not a duration"])
    #expect(!FileManager.default.fileExists(atPath: volume), "the volume was touched")
  }

  /// Issue 12, finding 4 and issue 13: `--wal-dir` made a member with data look empty; flags such
  /// as `--force-new-cluster` applied to every start of every member.
  @Test(
    "etcd flags the pilot owns, or that must never apply to every start, are refused at start with the reason: one line, nothing touched"
  )
  func ownedEtcdFlags() throws {
    let volume = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-vol-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: volume) }
    let cases: [([String], [String])] = [
      (["--wal-dir", "/wal"], ["--wal-dir is refused", "a WAL outside the data directory is not supported"]),
      (["--wal-dir=/wal"], ["--wal-dir is refused"]),
      (["-data-dir=/x"], ["--data-dir is refused"]),
      (["--force-new-cluster"], ["--force-new-cluster is refused", "each member a cluster of one"]),
      (["--discovery-srv", "example.com"], ["--discovery-srv is refused"]),
      (["--initial-cluster-state=new"], ["--initial-cluster-state is refused"]),
      (["--enable-v2"], ["--enable-v2 is refused"]),
      (["--log-outputs", "/tmp/etcd.log"], ["--log-outputs is refused"]),
    ]
    for (flags, words) in cases {
      expectOneLineError(
        try member(["--name", "etcd-0", "--etcd", EtcdVersion.v3_4.etcd, "--"] + flags, volume: volume), mentions: words
      )
    }
    // etcd reads ETCD_* variables as flags, and inherits the pilot's environment.
    let viaEnvironment = try PilotBinary.run(
      [
        "member", "--data-dir", volume, "--replicas-from", "file:/nonexistent/sts.json", "--cluster-record",
        "file:/nonexistent/record.json",
        "--name", "etcd-0", "--etcd", EtcdVersion.v3_4.etcd,
      ], environment: ["ETCD_FORCE_NEW_CLUSTER": "true"], timeout: 20)
    expectOneLineError(
      viaEnvironment, mentions: ["environment variable ETCD_FORCE_NEW_CLUSTER (etcd's --force-new-cluster) is refused"])
    expectOneLineError(
      try member(
        ["--name", "etcd-0", "--etcd", EtcdVersion.v3_4.etcd, "--consistency-check-action", "fix"], volume: volume),
      mentions: ["--consistency-check-action 'fix' is not an action: use replace or report"])
    // Tuning flags pass.
    #expect(
      EtcdFlagPolicy.refusal(["--quota-backend-bytes=1000000", "--auto-compaction-retention", "1h"], managedTLS: true)
        == nil)
    // TLS files only while the pilot manages TLS.
    #expect(EtcdFlagPolicy.refusal(["--cert-file=/x"], managedTLS: false) == nil)
    #expect(EtcdFlagPolicy.refusal(["--cert-file=/x"], managedTLS: true)?.contains("the pilot manages TLS") == true)
    #expect(!FileManager.default.fileExists(atPath: volume), "the volume was touched")
  }

  @Test("etcd older than 3.4 is refused, by its --version line")
  func versionCheck() throws {
    #expect(throws: PilotError.self) {
      try EtcdBinary.version(fromOutput: "etcd Version: 3.3.25\nGit SHA: 1\n", path: "etcd")
    }
    #expect(try EtcdBinary.version(fromOutput: "etcd Version: 3.4.23\nGit SHA: x\n", path: "etcd") == "3.4.23")
    #expect(try EtcdBinary.version(fromOutput: "etcd Version: 3.6.0-rc.1\n", path: "etcd") == "3.6.0-rc.1")
  }

  @Test("local: negative or zero replicas and commands without a cluster are one-line errors")
  func localBadInput() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-test-none-\(UUID().uuidString)")
      .path
    expectOneLineError(
      try PilotBinary.run(["local", "up", "--dir", dir, "--replicas", "0", "--etcd", EtcdVersion.v3_4.etcd]),
      mentions: ["--replicas 0"])
    expectOneLineError(
      try PilotBinary.run(["local", "up", "--dir", dir, "--replicas", "-2", "--etcd", EtcdVersion.v3_4.etcd]),
      mentions: ["--replicas -2"])
    expectOneLineError(
      try PilotBinary.run([
        "local", "up", "--dir", dir, "--replicas", "1", "--etcd", EtcdVersion.v3_4.etcd, "--", "--wal-dir", "/w",
      ]),
      mentions: ["--wal-dir is refused"])
    expectOneLineError(
      try PilotBinary.run(["local", "scale", "--dir", dir, "--replicas", "-1"]), mentions: ["negative"])
    expectOneLineError(try PilotBinary.run(["local", "status", "--dir", dir]), mentions: ["no local cluster", dir])
    let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    #expect(leftovers.isEmpty, "bad input created \(leftovers) in \(dir)")
    try? FileManager.default.removeItem(atPath: dir)
  }
}
