import ArgumentParser
import ChildProcess
import EtcdClient
import Foundation
import Logging

/// `etcd-pilot-bench defrag-gap`: the longest gap between successful writes while every member
/// of a fragmented 3-member cluster is defragmented — by `etcd-pilot defrag` (one member at a
/// time, the leader last after a handoff) beside `etcdctl defrag --endpoints=<all>` (what
/// Bitnami's CronJob runs), on the same data, in the same run.
struct DefragGapCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "defrag-gap",
    abstract: "Write unavailability while a fragmented cluster is defragmented: etcd-pilot's pass beside etcdctl's.",
    discussion: """
      Each round runs both variants (the order rotates), each on a new 3-member etcd cluster \
      (no pilots: the same bare etcd for both): --live-mib MiB of 1 MiB values that stay, and \
      --freeable-mib MiB written, deleted and compacted, so every member's database holds that \
      much free space beside its live data (which a defragmentation copies); then a \
      writer per endpoint puts keys back to back (etcd's own client spreads its requests over \
      every endpoint) while the variant defragments every member. Measured: the longest time between two \
      successful writes during the defragmentation, the writes that failed, how long it took, \
      and the databases' sizes before and after.
      """)

  @Option(help: "The etcd binary.")
  var etcd = ".tools/etcd-3.5.1/etcd"

  @Option(help: "The etcdctl binary of the same release.")
  var etcdctl = ".tools/etcd-3.5.1/etcdctl"

  @Option(help: "The etcd-pilot binary (default: the one beside this program).")
  var pilot: String?

  @Option(help: "How many rounds.")
  var rounds = 3

  @Option(name: .customLong("freeable-mib"), help: "MiB written, deleted and compacted before each pass.")
  var freeableMiB = 200

  @Option(
    name: .customLong("live-mib"),
    help: "MiB of values that stay: a defragmentation copies them, so they set how long it stalls a member.")
  var liveMiB = 300

  @Option(help: "Where the raw numbers go (JSON); the tables go beside it with the extension .md.")
  var output = "bench/results/defrag-gap.json"

  func validate() throws {
    guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
    guard freeableMiB > 0 else { throw ValidationError("--freeable-mib must be positive") }
    guard liveMiB >= 0 else { throw ValidationError("--live-mib must not be negative") }
  }

  func run() async throws {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "etcd-pilot-bench")
    logger.logLevel = .critical
    let pilot =
      pilot
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("etcd-pilot")
      .path
    for (tool, path) in [("etcd", etcd), ("etcdctl", etcdctl), ("etcd-pilot", pilot)]
    where !FileManager.default.isExecutableFile(atPath: path) {
      throw BenchError("no \(tool) at \(path): run bench/setup.sh and bench/defrag-gap.sh (it builds in release mode)")
    }
    let date = ISO8601DateFormatter().string(from: Date())
    let loadBefore = MachineInfo.loadAverage()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-bench-defrag-\(getpid())")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    var runs: [DefragGapRun] = []
    let variants = DefragGapVariant.allCases
    for round in 1...rounds {
      for variant in variants.indices.map({ variants[($0 + round - 1) % variants.count] }) {
        Self.progress("round \(round): \(variant.label)")
        let directory = root.appendingPathComponent("round\(round)-\(variant.rawValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = BareCluster(etcd: etcd, etcdctl: etcdctl, addressBase: "127.0.94", directory: directory)
        var run = try await measure(cluster, variant: variant, pilot: pilot, logger: logger)
        run.round = round
        Self.progress(
          String(
            format: "  longest gap %.3f s, %d of %d writes failed, pass took %.1f s, databases %d → %d MiB",
            run.longestGapSeconds, run.failedWrites, run.writes, run.passSeconds, run.dbMiBBefore, run.dbMiBAfter))
        runs.append(run)
        try? FileManager.default.removeItem(at: directory)
      }
    }
    try? FileManager.default.removeItem(at: root)
    let report = DefragGapReport(
      date: date, machine: .current(), loadAverageBefore: loadBefore, loadAverageAfter: MachineInfo.loadAverage(),
      etcdPath: etcd, pilotBuild: ClientCommand.build, rounds: rounds, freeableMiB: freeableMiB, liveMiB: liveMiB,
      runs: runs)
    let markdownPath = (output.hasSuffix(".json") ? String(output.dropLast(5)) : output) + ".md"
    try report.writeJSON(to: output)
    try report.markdown.write(toFile: markdownPath, atomically: true, encoding: .utf8)
    print(report.markdown)
    Self.progress("wrote \(output) and \(markdownPath)")
  }

  /// Fragments a new cluster, defragments it by `variant` under a writer, and stops the cluster
  /// in every case.
  private func measure(
    _ cluster: BareCluster, variant: DefragGapVariant, pilot: String, logger: Logger
  ) async throws -> DefragGapRun {
    let clock = ContinuousClock()
    do {
      try await cluster.bootstrap(3)
      let endpoints = cluster.endpoints(3)
      _ = try await ClusterReadiness.wait(
        for: endpoints, since: clock.now, timeout: .seconds(120), what: "bootstrap", logger: logger)
      let configuration = EtcdClientConfiguration(endpoints: endpoints, callTimeout: .seconds(30))
      try await withEtcdClient(configuration, logger: logger) { etcd in
        let value = String(repeating: "d", count: 1 << 20)
        for index in 0..<liveMiB { _ = try await etcd.put("live/\(index)", value) }
        for index in 0..<freeableMiB { _ = try await etcd.put("fragment/\(index)", value) }
        _ = try await etcd.delete(.prefix("fragment/"))
        _ = try await etcd.compact(revision: try await etcd.status().header.revision, physical: true)
        // etcd reports the pages a compaction freed once a write followed it.
        _ = try await etcd.put("fragment/done", "x")
      }
      let before = try await databaseMiB(endpoints, logger: logger)
      let timeline = WriteTimeline()
      let writer = timeline.write(to: endpoints, prefix: "defrag-gap", eachEndpoint: true, clock: clock, logger: logger)
      try await Task.sleep(for: .seconds(2))
      let list = endpoints.map(\.description).joined(separator: ",")
      let start = clock.now
      let (status, text) =
        switch variant {
        case .etcdctl:
          try await CommandRun.run(
            etcdctl, ["--endpoints", list, "--command-timeout=300s", "defrag"], environment: ["ETCDCTL_API": "3"],
            scratch: cluster.directory)
        case .pilot:
          try await CommandRun.run(pilot, ["defrag", "--endpoints", list, "--all"], scratch: cluster.directory)
        }
      let end = clock.now
      try await Task.sleep(for: .seconds(1))
      writer.cancel()
      await writer.value
      guard status == .exited(0) else { throw BenchError("\(variant.rawValue) defrag failed (\(status)): \(text)") }
      let after = try await databaseMiB(endpoints, logger: logger)
      await cluster.stop()
      let (gap, writes, failed) = timeline.summary(from: start, to: end)
      return DefragGapRun(
        variant: variant.rawValue, round: 0, longestGapSeconds: gap.seconds, writes: writes, failedWrites: failed,
        passSeconds: (end - start).seconds, dbMiBBefore: before, dbMiBAfter: after)
    } catch {
      await cluster.stop()
      throw error
    }
  }

  /// The sum of the members' database sizes, in MiB.
  private func databaseMiB(_ endpoints: [EtcdEndpoint], logger: Logger) async throws -> Int {
    var total: Int64 = 0
    for endpoint in endpoints {
      total += try await withEtcdClient(
        EtcdClientConfiguration(endpoints: [endpoint], callTimeout: .seconds(10)), logger: logger
      ) { try await $0.status().dbSize }
    }
    return Int(total >> 20)
  }

  static func progress(_ line: String) { ClientCommand.progress(line) }
}

/// Who defragments.
enum DefragGapVariant: String, CaseIterable, Codable, Sendable {
  case pilot
  case etcdctl

  var label: String {
    switch self {
    case .pilot: "etcd-pilot defrag --all: one member at a time, the leader last after a handoff"
    case .etcdctl:
      "etcdctl defrag --endpoints=<all three> (Bitnami's CronJob): each member in turn, the leader where it falls"
    }
  }
}
