import ArgumentParser
import EtcdClient
import Foundation
import Logging

/// `etcd-pilot-bench lifecycle`: time to healthy of the old chart's flows with etcd-pilot beside
/// bare etcd driven by etcdctl, in the same run, and the agent's memory and idle CPU.
struct LifecycleCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lifecycle",
    abstract:
      "Bootstrap, failover and scaling times of etcd-pilot beside bare etcd and etcdctl; the agent's RSS and idle CPU.",
    discussion: """
      Each round runs both sides one after the other (odd rounds bare etcd first): bootstrap 3
      members, SIGKILL a follower and restart it, scale 3 to 5, scale 5 to 3, then an idle window
      for memory and CPU. Every time runs from the first command to the moment the same check
      finds the cluster healthy: exactly the expected members, all started voters, each endpoint
      answering a linearizable read. Run from the package root with a release build of etcd-pilot
      beside this binary, or use bench/lifecycle.sh.
      """
  )

  @Option(help: "The etcd binary.")
  var etcd = ".tools/etcd-3.5.1/etcd"

  @Option(help: "The etcdctl binary of the same release (the baseline's tool).")
  var etcdctl = ".tools/etcd-3.5.1/etcdctl"

  @Option(help: "The etcd-pilot binary (default: the one beside this program).")
  var pilot: String?

  @Option(help: "How many rounds.")
  var rounds = 3

  @Option(help: "Seconds of the idle window in which memory and CPU are read.")
  var idleSeconds: Double = 20

  @Option(help: "Where the raw numbers go (JSON); the tables go beside it with the extension .md.")
  var output = "bench/results/lifecycle.json"

  func validate() throws {
    guard rounds > 0, idleSeconds > 0 else { throw ValidationError("--rounds and --idle-seconds must be positive") }
  }

  func run() async throws {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "etcd-pilot-bench")
    logger.logLevel = .critical
    let pilot =
      pilot
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("etcd-pilot")
      .path
    for (tool, path) in [("etcd", etcd), ("etcdctl", etcdctl), ("etcd-pilot", pilot)] {
      guard FileManager.default.isExecutableFile(atPath: path) else {
        throw BenchError(
          "no \(tool) at \(path): run bench/setup.sh and build etcd-pilot in release mode (bench/lifecycle.sh does both)"
        )
      }
    }
    let date = ISO8601DateFormatter().string(from: Date())
    let loadBefore = MachineInfo.loadAverage()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-bench-lifecycle-\(getpid())")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let (_, versionText) = try await CommandRun.run(etcd, ["--version"], scratch: root)
    let version =
      versionText.split(separator: "\n").first { $0.hasPrefix("etcd Version:") }
      .map { $0.dropFirst("etcd Version:".count).trimmingCharacters(in: .whitespaces) } ?? "unknown"

    var bare: [LifecycleRun] = []
    var piloted: [LifecycleRun] = []
    for round in 1...rounds {
      for side in round % 2 == 1 ? ["bare", "pilot"] : ["pilot", "bare"] {
        let directory = root.appendingPathComponent("round\(round)-\(side)")
        Self.progress("round \(round): \(side == "bare" ? "bare etcd + etcdctl" : "etcd-pilot local")")
        if side == "bare" {
          try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
          let cluster = BareCluster(etcd: etcd, etcdctl: etcdctl, addressBase: "127.0.91", directory: directory)
          bare.append(try await measure(cluster, logger: logger))
        } else {
          let cluster = PilotCluster(pilot: pilot, etcd: etcd, addressBase: "127.0.92", directory: directory)
          piloted.append(try await measure(cluster, logger: logger))
        }
      }
    }
    try? FileManager.default.removeItem(at: root)

    let report = LifecycleReport(
      date: date, machine: .current(), loadAverageBefore: loadBefore, loadAverageAfter: MachineInfo.loadAverage(),
      etcdVersion: version, etcdPath: etcd, pilotBuild: ClientCommand.build, rounds: rounds, idleSeconds: idleSeconds,
      bare: bare, pilot: piloted)
    let markdownPath = (output.hasSuffix(".json") ? String(output.dropLast(5)) : output) + ".md"
    try report.writeJSON(to: output)
    try report.markdown.write(toFile: markdownPath, atomically: true, encoding: .utf8)
    print(report.markdown)
    Self.progress("wrote \(output) and \(markdownPath)")
  }

  /// Runs the four flows on `side`, each timed from its first command until the cluster is
  /// healthy, then measures the idle footprint; stops the side in every case.
  private func measure(_ side: some LifecycleSide, logger: Logger) async throws -> LifecycleRun {
    let clock = ContinuousClock()
    var run = LifecycleRun()
    func timed(_ name: String, members: Int, _ flow: () async throws -> Void) async throws -> Double {
      let start = clock.now
      try await flow()
      let seconds = try await ClusterReadiness.wait(
        for: side.endpoints(members), since: start, timeout: .seconds(180), what: "\(side.label) \(name)",
        logger: logger
      ).seconds
      Self.progress("  \(side.label) \(name): \(Self.format(seconds))")
      return seconds
    }
    do {
      run.bootstrap3 = try await timed("bootstrap 3", members: 3) { try await side.bootstrap3() }
      let follower = try await ClusterReadiness.follower(among: side.endpoints(3), logger: logger)
      run.followerRecovery = try await timed("recovery after SIGKILL of a follower", members: 3) {
        try await side.killAndRestart(follower)
      }
      run.scaleUp3to5 = try await timed("scale 3→5", members: 5) { try await side.scale3to5() }
      run.scaleDown5to3 = try await timed("scale 5→3", members: 3) { try await side.scale5to3() }
      let (agents, servers) = try await side.processes()
      let footprints = try await ProcessFootprint.measureIdle(
        agents + servers, window: .milliseconds(Int64(idleSeconds * 1000)))
      run.agent = Array(footprints.prefix(agents.count))
      run.etcd = Array(footprints.dropFirst(agents.count))
    } catch {
      await side.stop()
      throw error
    }
    await side.stop()
    return run
  }

  /// The local StatefulSet restarts a crashed pod after 500 ms, as a kubelet's first backoff;
  /// the baseline restarts its killed etcd after the same delay, so only the agent's own work
  /// differs.
  static let restartDelay = Duration.milliseconds(500)

  static func format(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }

  static func progress(_ line: String) { ClientCommand.progress(line) }
}
