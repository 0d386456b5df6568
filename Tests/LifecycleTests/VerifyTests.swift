import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

@testable import Verify

/// `etcd-pilot verify` as users run it: a bounded, seeded schedule (CI's run) must pass, and its
/// report must say what it checked.
@Suite("etcd-pilot verify", .serialized, .timeLimit(.minutes(10)))
struct VerifyTests {
  @Test(
    "a seeded schedule of faults: no acknowledged write lost, linearizable registers, the desired members, one HashKV")
  func boundedSchedule() async throws {
    try await expectPassingRun(faults: 6, seed: 20261127)
  }

  /// Found by `verify --faults 150 --seed 20261128 --tls --auth`: at fault 16 a member added
  /// and caught up from a snapshot refused every auth token (etcd issue 13134), so the next
  /// learner could not be promoted. Replayed with frequent snapshots, so every join takes one.
  @Test("with TLS and auth, replaying seed 20261128: a member caught up from a snapshot serves authenticated calls")
  func replayTokenProviderOff() async throws {
    try await expectPassingRun(
      faults: 16, seed: 20261128, arguments: ["--schedule", "1", "--tls", "--auth", "--", "--snapshot-count=2000"])
  }

  /// Found by `verify --faults 1000 --seed 20261127 --tls` at fault 136: a two-voter cluster
  /// scaled to one whose leaving member was SIGKILLed before its removal committed never healed.
  /// Replayed from that fault alone (`--from`, ~30 s instead of the 25 minutes before it); the
  /// remaining member's log must show it took the way out, or the replay proved nothing.
  @Test("replaying seed 20261127 from fault 136: crash during scale-down 2 → 1, the remaining member continues alone")
  func replayStrandedScaleDown() async throws {
    let log = try await expectPassingRun(
      faults: 1, seed: 20261127, arguments: ["--schedule", "1", "--from", "136", "--tls"], keepingLogOf: "etcd-0")
    #expect(log.contains("restarted alone with --force-new-cluster"), "\(log.suffix(3000))")
  }

  /// Issue 12: the harness used to scale back to 2 itself when the remaining member refused to
  /// continue alone, so a state that needed a person counted as a pass.
  @Test(
    "a crash during 2 → 1 that the agent will not heal alone: verify does nothing for it and fails, with the pilot's reason from /status"
  )
  func strandedRefusalFails() async throws {
    try await withLocalCluster(replicas: 2, version: .v3_5, arguments: ["--grace-period", "5"]) { cluster in
      try await cluster.withClient { etcd in for index in 0..<40 { try await etcd.put("s/\(index)", "\(index)") } }
      let config = try cluster.layout.readConfig()
      let endpoints = try (0..<2).map { try EtcdEndpoint(parsing: config.clientURL($0)) }
      try await withEtcdClient(try config.clientConfiguration(endpoints, callTimeout: .seconds(5))) { etcd in
        let injector = FaultInjector(control: try cluster.control, config: config, etcd: etcd)
        let frozen = try await cluster.strandWithAnotherLeadersEntry()
        defer { LocalTestCluster.thaw(frozen) }
        try await injector.scale(1)
        await #expect {
          _ = try await injector.healStranded(timeout: .seconds(180))
        } throws: { error in
          "\(error)".contains("etcd-0 asks for a person") && "\(error)".contains("not continuing alone")
        }
        // Nothing was done for it: the StatefulSet still wants one pod.
        #expect(try await cluster.control.status().replicas == 1)
        LocalTestCluster.thaw(frozen)
      }
      // The way out the pilot names, taken by the test: every write is there.
      try await cluster.scale(2)
      try await cluster.expectMembers(2)
      #expect(try await cluster.withClient { try await $0.get(.prefix("s/"), countOnly: true).count } == 40)
    }
  }

  /// Runs verify, expects it to pass, and returns the pilot log of `pod` if asked (the run's
  /// files are then kept until the end of this call).
  @discardableResult
  private func expectPassingRun(
    faults: Int, seed: Int, arguments: [String] = [], keepingLogOf pod: String? = nil
  ) async throws -> String {
    let version = EtcdVersion.v3_5
    try version.requireInstalled()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-verify-\(UUID().uuidString)"
    ).path
    defer {
      try? FileManager.default.removeItem(atPath: directory)
      try? FileManager.default.removeItem(atPath: directory + "-local.log")
    }
    let result = try await ProcessOutput.runAsync(
      try PilotBinary.path,
      [
        "verify", "--faults", String(faults), "--seed", String(seed), "--etcd", version.etcd, "--address-base",
        try Loopback.block(),
        "--dir", directory,
      ] + (pod == nil ? [] : ["--keep"]) + arguments,
      timeout: .seconds(540))
    let report = result.output
    #expect(result.exitCode == 0, "\(report)")
    // Schedule 3, from its start, opens with a bootstrap whose last member is absent.
    func value(_ flag: String) -> Int? { arguments.firstIndex(of: flag).flatMap { Int(arguments[$0 + 1]) } }
    let opens = (value("--schedule") ?? FaultSchedule.latestVersion) >= 3 && (value("--from") ?? 1) == 1
    #expect(report.contains("faults injected: \(faults + (opens ? 1 : 0))"), "\(report)")
    if opens { #expect(report.contains(AbsentBootstrapMember.title), "\(report)") }
    #expect(report.contains(", lost: 0"), "\(report)")
    #expect(report.contains("operations, linearizable"), "\(report)")
    #expect(report.contains("membership: the member list equals the desired pods"), "\(report)")
    #expect(report.contains("consistency: every member has the same HashKV"), "\(report)")
    #expect(report.hasSuffix("PASS\n") || report.contains("\nPASS\n"), "\(report)")
    guard let pod else {
      // On success nothing is left behind.
      #expect(!FileManager.default.fileExists(atPath: "\(directory)/volumes"))
      return ""
    }
    return (try? String(contentsOfFile: "\(directory)/logs/\(pod).log", encoding: .utf8)) ?? ""
  }

  @Test(
    "bad input: negative faults, too many replicas, a fault number below 1 or without a seed, a schedule that does not exist — one line each, non-zero exit"
  )
  func badInput() throws {
    expectOneLineError(
      try PilotBinary.run(["verify", "--faults", "-1"]), mentions: ["--faults -1 is negative"], exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["verify", "--replicas", "9"]), mentions: ["--replicas 9 is outside 1...5"], exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["verify", "--seed", "1", "--from", "0"]),
      mentions: ["--from 0 is not a fault number: faults count from 1"],
      exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["verify", "--from", "136"]), mentions: ["--from 136 needs the --seed of the run to replay"],
      exitCode: 2)
    let next = FaultSchedule.latestVersion + 1
    let versions = FaultSchedule.versions.map(String.init).joined(separator: " or ")
    expectOneLineError(
      try PilotBinary.run(["verify", "--schedule", String(next)]),
      mentions: ["--schedule \(next) does not exist: give \(versions)"],
      exitCode: 2)
  }
}
