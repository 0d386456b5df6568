import Foundation

/// One variant's rolling restart in one round.
struct RollingRestartRun: Codable, Sendable {
  var variant: String
  var round: Int
  /// The longest time between two successful writes during the restart.
  var longestGapSeconds: Double
  /// Successful writes during the restart.
  var writes: Int
  /// Writes that failed (timed out or refused) during the whole run.
  var failedWrites: Int
  /// From the first pod's stop to the last pod's return to a healthy cluster.
  var restartSeconds: Double
}

/// The result of `etcd-pilot-bench rolling-restart`, as JSON (raw numbers) and Markdown.
struct RollingRestartReport: Codable, Sendable, JSONReport {
  var date: String
  var machine: MachineInfo
  var loadAverageBefore: String
  var loadAverageAfter: String
  var etcdPath: String
  var pilotBuild: String
  var rounds: Int
  var runs: [RollingRestartRun]

  private func runs(_ variant: RollingRestartVariant) -> [RollingRestartRun] {
    runs.filter { $0.variant == variant.rawValue }
  }

  var markdown: String {
    func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
    let median = LifecycleReport.median
    let baseline = median(runs(.noHandoff).map(\.longestGapSeconds))
    var lines = [
      "# Rolling restart: write unavailability with and without the pilot's leadership handoff",
      "",
      "- Date: \(date)",
      "- Machine: \(machine.processors) CPUs (nproc), \(machine.cpuModel), \(f(machine.memoryGiB, 1)) GiB, \(machine.kernel)",
      "- Load average (1/5/15 min) before: \(loadAverageBefore), after: \(loadAverageAfter)",
      "- etcd: \(etcdPath); etcd-pilot: \(pilotBuild), 3 members on the local StatefulSet (no peer proxies)",
      "- \(rounds) rounds; each runs every variant, in rotating order. One writer puts keys back to back through all three endpoints (2 s deadline per call); pods restarted highest ordinal first, the next once the cluster is healthy again.",
      "- Longest gap: the longest time between two successful writes during the restart. Baseline: the restart without the pilot's handoff (etcd still transfers leadership itself when it stops gracefully).",
      "",
      "| Variant | longest gap s (median) | max | / without handoff | failed writes (median) | writes during restart (median) | restart s (median) |",
      "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for variant in RollingRestartVariant.allCases {
      let runs = runs(variant)
      let gap = median(runs.map(\.longestGapSeconds))
      lines.append(
        "| \(variant.label) | \(f(gap)) | \(f(runs.map(\.longestGapSeconds).max() ?? 0)) | **\(baseline > 0 ? f(gap / baseline, 2) : "-")×** | "
          + "\(f(median(runs.map { Double($0.failedWrites) }), 0)) | \(f(median(runs.map { Double($0.writes) }), 0)) | \(f(median(runs.map(\.restartSeconds)), 1)) |"
      )
    }
    lines += [
      "", "## Each run", "", "| Round | Variant | longest gap s | failed writes | writes | restart s |",
      "|--:|---|--:|--:|--:|--:|",
    ]
    for run in runs {
      lines.append(
        "| \(run.round) | \(run.variant) | \(f(run.longestGapSeconds)) | \(run.failedWrites) | \(run.writes) | \(f(run.restartSeconds, 1)) |"
      )
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
