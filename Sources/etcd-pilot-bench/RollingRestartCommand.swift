import ArgumentParser
import EtcdClient
import Foundation
import Logging
import Synchronization

/// `etcd-pilot-bench rolling-restart`: the longest gap between successful writes while every pod
/// of a 3-member cluster is restarted in turn, with the pilot's leadership handoff beside the same
/// restart without it, in the same run.
struct RollingRestartCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rolling-restart",
    abstract: "Write unavailability during a rolling restart, with and without the pilot's leadership handoff.",
    discussion: """
      Each round runs every variant (the order rotates): a 3-member cluster on the local
      StatefulSet; a writer puts keys back to back through all three endpoints; the pods are
      restarted highest ordinal first, each once the cluster is healthy again (`local kill N`,
      which waits, as a StatefulSet's rolling update waits for Ready). Measured: the longest time
      between two successful writes within the restart, and the writes that failed.
      Variants: the pilot hands leadership to the best successor before stopping (the default);
      the pilot does not (--no-leader-handoff), so only etcd's own transfer on a graceful stop
      remains; and pods killed with SIGKILL, where nobody hands leadership over.
      """)

  @Option(help: "The etcd binary.")
  var etcd = ".tools/etcd-3.5.1/etcd"

  @Option(help: "The etcd-pilot binary (default: the one beside this program).")
  var pilot: String?

  @Option(help: "How many rounds.")
  var rounds = 3

  @Option(help: "Where the raw numbers go (JSON); the tables go beside it with the extension .md.")
  var output = "bench/results/rolling-restart.json"

  func validate() throws {
    guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
  }

  func run() async throws {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "etcd-pilot-bench")
    logger.logLevel = .critical
    let pilot =
      pilot
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("etcd-pilot")
      .path
    for (tool, path) in [("etcd", etcd), ("etcd-pilot", pilot)]
    where !FileManager.default.isExecutableFile(atPath: path) {
      throw BenchError(
        "no \(tool) at \(path): run bench/setup.sh and build etcd-pilot in release mode (bench/rolling-restart.sh does both)"
      )
    }
    let date = ISO8601DateFormatter().string(from: Date())
    let loadBefore = MachineInfo.loadAverage()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-bench-rolling-\(getpid())")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    var runs: [RollingRestartRun] = []
    let variants = RollingRestartVariant.allCases
    for round in 1...rounds {
      let order = variants.indices.map { variants[($0 + round - 1) % variants.count] }
      for variant in order {
        Self.progress("round \(round): \(variant.label)")
        let directory = root.appendingPathComponent("round\(round)-\(variant.rawValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var cluster = PilotCluster(pilot: pilot, etcd: etcd, addressBase: "127.0.93", directory: directory)
        cluster.upArguments = variant.upArguments
        var run = try await measure(cluster, variant: variant, logger: logger)
        run.round = round
        Self.progress(
          String(
            format: "  longest gap %.3f s, %d of %d writes failed, restart took %.1f s", run.longestGapSeconds,
            run.failedWrites, run.writes, run.restartSeconds))
        runs.append(run)
      }
    }
    try? FileManager.default.removeItem(at: root)
    let report = RollingRestartReport(
      date: date, machine: .current(), loadAverageBefore: loadBefore, loadAverageAfter: MachineInfo.loadAverage(),
      etcdPath: etcd, pilotBuild: ClientCommand.build, rounds: rounds, runs: runs)
    let markdownPath = (output.hasSuffix(".json") ? String(output.dropLast(5)) : output) + ".md"
    try report.writeJSON(to: output)
    try report.markdown.write(toFile: markdownPath, atomically: true, encoding: .utf8)
    print(report.markdown)
    Self.progress("wrote \(output) and \(markdownPath)")
  }

  /// Brings the cluster up, writes through the rolling restart, and stops the cluster in every case.
  private func measure(
    _ cluster: PilotCluster, variant: RollingRestartVariant, logger: Logger
  ) async throws -> RollingRestartRun {
    let clock = ContinuousClock()
    do {
      try await cluster.up(3)
      _ = try await ClusterReadiness.wait(
        for: cluster.endpoints(3), since: clock.now, timeout: .seconds(120), what: "bootstrap", logger: logger)
      let timeline = WriteTimeline()
      let writer = timeline.write(to: cluster.endpoints(3), prefix: "rolling", clock: clock, logger: logger)
      try await Task.sleep(for: .seconds(2))
      let start = clock.now
      for ordinal in [2, 1, 0] {
        try await cluster.kill(ordinal, signal: variant.signal)
      }
      let end = clock.now
      try await Task.sleep(for: .seconds(1))
      writer.cancel()
      await writer.value
      await cluster.down()
      let (gap, writes, failed) = timeline.summary(from: start, to: end)
      return RollingRestartRun(
        variant: variant.rawValue, round: 0, longestGapSeconds: gap.seconds, writes: writes, failedWrites: failed,
        restartSeconds: (end - start).seconds)
    } catch {
      await cluster.down()
      throw error
    }
  }

  static func progress(_ line: String) { ClientCommand.progress(line) }
}

/// How the pods are restarted.
enum RollingRestartVariant: String, CaseIterable, Codable, Sendable {
  case handoff
  case noHandoff = "no-handoff"
  case killed

  var label: String {
    switch self {
    case .handoff: "SIGTERM, the pilot hands leadership over (default)"
    case .noHandoff: "SIGTERM, no pilot handoff (--no-leader-handoff; etcd's own transfer on stop)"
    case .killed: "SIGKILL, nobody hands leadership over"
    }
  }

  var upArguments: [String] { self == .noHandoff ? ["--pilot-arg=--no-leader-handoff"] : [] }
  var signal: String { self == .killed ? "KILL" : "TERM" }
}

/// When writes succeeded, and how many failed; shared by the writer and the measurement.
final class WriteTimeline: Sendable {
  private struct State {
    var successes: [ContinuousClock.Instant] = []
    var failures = 0
  }
  private let state = Mutex(State())

  func succeeded(at instant: ContinuousClock.Instant) { state.withLock { $0.successes.append(instant) } }
  func failed() { state.withLock { $0.failures += 1 } }

  /// A writer putting keys back to back through all `endpoints` (2 s deadline per call, as a
  /// client that fails over), recording each outcome here until the task is cancelled. With
  /// `eachEndpoint`, one such writer per endpoint, each held to its member — as etcd's own
  /// client spreads its requests over every endpoint — so a member that stalls holds up only
  /// the writes sent to it.
  func write(
    to endpoints: [EtcdEndpoint], prefix: String, eachEndpoint: Bool = false, clock: ContinuousClock, logger: Logger
  ) -> Task<Void, Never> {
    let groups = eachEndpoint ? endpoints.map { [$0] } : [endpoints]
    return Task {
      await withTaskGroup(of: Void.self) { group in
        for (number, endpoints) in groups.enumerated() {
          group.addTask {
            try? await withEtcdClient(
              EtcdClientConfiguration(endpoints: endpoints, callTimeout: .seconds(2)), logger: logger
            ) { etcd in
              var index = 0
              while !Task.isCancelled {
                index += 1
                do {
                  try await etcd.put("\(prefix)/\(number)/\(index)", "v")
                  self.succeeded(at: clock.now)
                } catch {
                  self.failed()
                }
              }
            }
          }
        }
      }
    }
  }

  /// The longest time without a successful write that overlaps [start, end], the writes
  /// completed in that window, and all failures.
  func summary(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> (Duration, Int, Int) {
    state.withLock { state in
      // Several writers append out of order by a hair.
      state.successes.sort()
      var longest = Duration.zero
      var previous: ContinuousClock.Instant?
      var writes = 0
      for instant in state.successes {
        if let previous, instant > start, previous < end { longest = max(longest, instant - previous) }
        if instant >= start, instant <= end { writes += 1 }
        previous = instant
      }
      return (longest, writes, state.failures)
    }
  }
}
