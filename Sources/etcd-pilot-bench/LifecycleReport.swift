import Foundation

/// One side's times (seconds to healthy) and footprints in one round.
struct LifecycleRun: Codable, Sendable {
  var bootstrap3 = 0.0
  var followerRecovery = 0.0
  var scaleUp3to5 = 0.0
  var scaleDown5to3 = 0.0
  /// The etcd-pilot agents (empty for bare etcd).
  var agent: [ProcessFootprint] = []
  /// The etcd servers.
  var etcd: [ProcessFootprint] = []
}

/// The result of `etcd-pilot-bench lifecycle`, as JSON (raw numbers) and Markdown (tables).
struct LifecycleReport: Codable, Sendable, JSONReport {
  var date: String
  var machine: MachineInfo
  var loadAverageBefore: String
  var loadAverageAfter: String
  var etcdVersion: String
  var etcdPath: String
  var pilotBuild: String
  var rounds: Int
  var idleSeconds: Double
  var bare: [LifecycleRun]
  var pilot: [LifecycleRun]

  /// The issue's targets: every time within 10% of bare etcd's, the agent within 25 MiB.
  static let timeRatioTarget = 1.10
  static let rssTargetMiB = 25.0

  static var scenarios: [(name: String, time: KeyPath<LifecycleRun, Double>)] {
    [
      ("bootstrap 3 members", \.bootstrap3),
      ("recovery after SIGKILL of a follower", \.followerRecovery),
      ("scale 3 → 5", \.scaleUp3to5),
      ("scale 5 → 3", \.scaleDown5to3),
    ]
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1
      ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
  }

  private func footprintRow(_ name: String, _ footprints: [ProcessFootprint]) -> String {
    func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    let median = Self.median
    return "| \(name) | \(f(median(footprints.map(\.rssMiB)), 1)) | \(f(footprints.map(\.rssMiB).max() ?? 0, 1)) | "
      + "\(f(median(footprints.compactMap(\.anonymousMiB)), 1)) | \(f(median(footprints.compactMap(\.pssMiB)), 1)) | "
      + "\(f(median(footprints.map(\.idleCPUPercent)), 2)) | \(f(footprints.map(\.idleCPUPercent).max() ?? 0, 2)) |"
  }

  var markdown: String {
    func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
    var lines = [
      "# Lifecycle benchmark: etcd-pilot beside bare etcd driven by etcdctl",
      "",
      "- Date: \(date)",
      "- Machine: \(machine.processors) CPUs (nproc), \(machine.cpuModel), \(f(machine.memoryGiB, 1)) GiB, \(machine.kernel)",
      "- Load average (1/5/15 min) before: \(loadAverageBefore), after: \(loadAverageAfter)",
      "- etcd: \(etcdVersion) (\(etcdPath)), members on loopback addresses, data on local disk",
      "- etcd-pilot: \(pilotBuild), on the local StatefulSet (`etcd-pilot local`, no peer proxies)",
      "- \(rounds) rounds; odd rounds run bare etcd first, even rounds etcd-pilot first",
      "- Each time runs from the first command to the moment one shared check finds the cluster healthy: exactly the expected members, all started voters, every endpoint answering a linearizable read (polled every 50 ms).",
      "- Bare etcd: a static `--initial-cluster`; a killed member restarted after 500 ms (the local StatefulSet's first restart backoff, as a kubelet's); `etcdctl member add` then the new etcd started with `--initial-cluster-state existing`; `etcdctl member remove` then the etcd stopped.",
      "- etcd-pilot: `local up --replicas 3 --detach`, `local kill N`, `local scale --replicas 5`, `local scale --replicas 3`.",
      "",
      "| Flow | bare etcd s (median) | etcd-pilot s (median) | etcd-pilot / bare | Target | Met |",
      "|---|--:|--:|--:|--:|---|",
    ]
    for scenario in Self.scenarios {
      let bareMedian = Self.median(bare.map { $0[keyPath: scenario.time] })
      let pilotMedian = Self.median(pilot.map { $0[keyPath: scenario.time] })
      let ratio = bareMedian > 0 ? pilotMedian / bareMedian : .infinity
      lines.append(
        "| \(scenario.name) | \(f(bareMedian)) | \(f(pilotMedian)) | **\(f(ratio))×** | ≤ \(f(Self.timeRatioTarget))× | \(ratio <= Self.timeRatioTarget ? "yes" : "**no**") |"
      )
    }
    let agents = pilot.flatMap(\.agent)
    let pilotEtcd = pilot.flatMap(\.etcd)
    let bareEtcd = bare.flatMap(\.etcd)
    let agentRSS = agents.map(\.rssMiB).max() ?? 0
    lines += [
      "",
      "## Footprint, idle (\(f(idleSeconds, 0)) s window after the flows, 3 members)",
      "",
      "| Process | RSS MiB median | RSS MiB max | private anonymous MiB median | PSS MiB median | idle CPU % of a core, median | idle CPU % max |",
      "|---|--:|--:|--:|--:|--:|--:|",
      footprintRow("etcd-pilot agent", agents),
      footprintRow("its etcd", pilotEtcd),
      footprintRow("bare etcd", bareEtcd),
      "",
      "Agent RSS target ≤ \(f(Self.rssTargetMiB, 0)) MiB: \(agentRSS <= Self.rssTargetMiB ? "met" : "**not met**") (max \(f(agentRSS, 1)) MiB). "
        + "RSS counts the pages of shared libraries the process touched (Swift runtime, Foundation and its ICU data); "
        + "the private anonymous column is what the agent itself allocates, and PSS shares library pages among the agents.",
      "",
      "## Each round",
      "",
      "| Round | Side | bootstrap 3 s | recovery s | scale 3→5 s | scale 5→3 s |",
      "|--:|---|--:|--:|--:|--:|",
    ]
    for round in 0..<rounds {
      for (side, runs) in [("bare", bare), ("etcd-pilot", pilot)] where round < runs.count {
        let run = runs[round]
        lines.append(
          "| \(round + 1) | \(side) | \(f(run.bootstrap3)) | \(f(run.followerRecovery)) | \(f(run.scaleUp3to5)) | \(f(run.scaleDown5to3)) |"
        )
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
