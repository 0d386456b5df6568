import ArgumentParser
import ChildProcess
import Foundation
import LocalCluster
import Pilot
import Verify

/// `etcd-pilot verify`: brings up a local cluster, runs a recorded workload under a seeded
/// schedule of faults, and checks that nothing acknowledged was lost and that every answer is
/// explained by a linearizable history.
struct VerifyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Checks etcd-pilot under faults: no acknowledged write lost, linearizable answers, the right members.",
    discussion: """
      Starts a local cluster (like `etcd-pilot local up`) in --dir, runs writers of unique keys and \
      compare-and-set increments on a few registers while a seeded random schedule kills, wipes, \
      scales, partitions and restarts pods, waiting after each fault for the cluster to heal. Then \
      it checks every acknowledged write, the registers' history (linearizability), the member \
      list and every member's HashKV, prints a report and exits 0 only if everything holds. The \
      cluster's files are removed on success and kept, with their path printed, on failure. \
      Replay a failing run with the same --seed (and --schedule, if it ran an older one); add \
      --from N to start at its fault N (the faults before it are drawn but not injected, and the \
      cluster starts with the members the schedule has then), so a failure late in a long run is \
      replayed in minutes.
      """)

  @Option(parsing: .unconditional, help: "How many faults to inject.")
  var faults = 10

  @Option(help: "The schedule's seed (default: random, printed).")
  var seed: UInt64?

  @Option(
    parsing: .unconditional,
    help:
      "The schedule's version: the kinds of fault it draws from (1: before SIGTERM of a quorum; default: the latest, \(FaultSchedule.latestVersion))."
  )
  var schedule = FaultSchedule.latestVersion

  @Option(parsing: .unconditional, help: "Members at the start of the schedule (fault 1).")
  var replicas = 3

  @Option(parsing: .unconditional, help: "Start at this fault of the seed's schedule (replays a long run's failure).")
  var from = 1

  @Option(help: "The etcd binary (3.4 or newer).")
  var etcd = "etcd"

  @Option(help: "The cluster's directory (default: a new temporary one).")
  var dir: String?

  @Option(name: .customLong("address-base"), help: "First three octets of the pods' loopback addresses.")
  var addressBase = "127.0.30"

  @Flag(help: "Run the cluster with client and peer TLS (as `local up --tls`).")
  var tls = false

  @Flag(help: "Run the cluster with auth on (as `local up --auth`; needs --tls).")
  var auth = false

  @Flag(help: "Keep the cluster's files after a successful run.")
  var keep = false

  @Argument(parsing: .postTerminator, help: "etcd flags for every member, after -- (e.g. --snapshot-count=1000)")
  var etcdArguments: [String] = []

  /// Bad flags, said in one line (exit 2) before anything starts — not ArgumentParser's
  /// validation, which prints the whole usage and exits 64.
  func checkInput() throws(InputError) {
    guard faults >= 0 else { throw InputError("--faults \(faults) is negative: give 0 or more") }
    guard from >= 1 else { throw InputError("--from \(from) is not a fault number: faults count from 1") }
    guard from == 1 || seed != nil else {
      throw InputError("--from \(from) needs the --seed of the run to replay")
    }
    guard FaultSchedule.versions.contains(schedule) else {
      throw InputError(
        "--schedule \(schedule) does not exist: give \(FaultSchedule.versions.map(String.init).joined(separator: " or "))"
      )
    }
    guard (1...FaultSchedule.maxReplicas).contains(replicas) else {
      throw InputError("--replicas \(replicas) is outside 1...\(FaultSchedule.maxReplicas)")
    }
  }

  func run() async throws {
    do { try checkInput() } catch { throw Failure.exit("verify", error) }
    let seed = seed ?? UInt64.random(in: 0...UInt64(Int64.max))
    let directory =
      dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-verify-\(seed)").path
    let layout = LocalClusterLayout(directory: directory)
    let security = [tls ? "TLS" : nil, auth ? "auth" : nil].compactMap { $0 }
    let run = VerifyRun(faults: faults, seed: seed, schedule: schedule, replicas: replicas, from: from) { Self.say($0) }
    let members = run.startingReplicas
    Self.say(
      "etcd-pilot verify: seed \(seed), schedule \(schedule), \(faults) fault\(faults == 1 ? "" : "s")\(from > 1 ? " from fault \(from)" : ""), \(members) members\(security.isEmpty ? "" : " with " + security.joined(separator: " and ")), cluster in \(directory)"
    )
    let report: VerifyReport
    do {
      // `local up` makes the directory; its log beside it needs the parent first.
      try FileManager.default.createDirectory(
        atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      // Schedule 3 opens with a bootstrap whose last member is absent: it needs a bootstrap
      // timeout the run can pass.
      let opens = schedule >= 3 && from == 1 && members >= 3
      let up =
        [
          "up", "--replicas", "\(members)", "--detach", "--etcd", etcd, "--address-base", addressBase, "--dir",
          directory,
        ]
        + (schedule >= 3
          ? [
            "--pilot-arg=--bootstrap-timeout=\(Int(Self.bootstrapTimeout.seconds))s", "--clock-skew", "--quota",
            "\(Self.quotaMiB(faults: faults))Mi",
          ] : [])
        + (tls ? ["--tls"] : []) + (auth ? ["--auth"] : []) + (etcdArguments.isEmpty ? [] : ["--"] + etcdArguments)
      var run = run
      if opens {
        let starting = Task { try await local(up, directory: directory) }
        let volume = layout.volume("etcd-\(members - 1)")
        let frozen = try await AbsentBootstrapMember.freezeAtMarker(
          volume: volume,
          pid: {
            guard let control = try? LocalControlClient(layout: layout) else { return nil }
            return try? await control.status().pods.first { $0.ordinal == members - 1 }?.pid
          }, timeout: .seconds(120))
        run.opening = AbsentBootstrapMember(
          frozen: frozen, frozenAt: .now, bootstrapTimeout: Self.bootstrapTimeout,
          converged: { try await starting.value })
        Self.say(
          "cluster bootstrapping, etcd-\(members - 1) frozen at its marker (etcd-pilot local's output: \(directory)-local.log)"
        )
      } else {
        try await local(up, directory: directory)
        Self.say("cluster up (etcd-pilot local's output: \(directory)-local.log)")
      }
      let control = try LocalControlClient(layout: layout)
      let config = try layout.readConfig()
      report = try await run.run(control: control, config: config)
    } catch {
      _ = try? await local(["down", "--dir", directory], directory: directory)
      throw Failure.exit("verify", error)
    }
    Self.say(report.text)
    if report.passed && !keep {
      try await local(["down", "--purge", "--dir", directory], directory: directory)
      try? FileManager.default.removeItem(atPath: directory + "-local.log")
    } else {
      _ = try? await local(["down", "--dir", directory], directory: directory)
      Self.say("the cluster's files (logs, volumes) are kept in \(directory)")
    }
    if !report.passed { throw ExitCode(1) }
  }

  /// Schedule 3's quota, which its fault "database filled to its quota" fills: small, so a fill
  /// takes seconds, yet above what the writers' unique keys hold after `faults` faults (about
  /// 0.4 MiB of live data each), so that compaction and defragmentation can always clear it.
  static func quotaMiB(faults: Int) -> Int { max(256, 128 + faults) }

  /// The pilots' bootstrap timeout in schedule 3's runs (300 s by default).
  static let bootstrapTimeout: Duration = .seconds(20)

  /// Writes one line straight to standard output: a long run's progress is followed in a file
  /// (`verify … > run.log`), where `print` would hold it in a buffer until the run ends.
  static func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }

  /// Runs an `etcd-pilot local` command of this same binary; its output goes to
  /// `verify-local.log` beside the cluster's directory.
  private func local(_ arguments: [String], directory: String) async throws {
    let log = directory + "-local.log"
    let process = try await ChildProcess.start("/proc/self/exe", arguments: ["local"] + arguments, logFile: log)
    let status = await process.wait()
    guard status == .exited(0) else {
      let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3).joined(
        separator: " / ")
      throw LocalClusterError("etcd-pilot local \(arguments.joined(separator: " ")) \(status): \(tail) (log: \(log))")
    }
  }
}
