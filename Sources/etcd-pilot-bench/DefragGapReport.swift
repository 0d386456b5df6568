import Foundation

/// One variant's defragmentation of a fragmented cluster in one round.
struct DefragGapRun: Codable, Sendable {
  var variant: String
  var round: Int
  /// The longest time between two successful writes during the defragmentation.
  var longestGapSeconds: Double
  /// Successful writes during it.
  var writes: Int
  /// Writes that failed (timed out or refused) during the whole run.
  var failedWrites: Int
  /// From the command's start to its end.
  var passSeconds: Double
  /// The three databases' sizes together, before and after.
  var dbMiBBefore: Int
  var dbMiBAfter: Int
}

/// The result of `etcd-pilot-bench defrag-gap`, as JSON (raw numbers) and Markdown.
struct DefragGapReport: Codable, Sendable, JSONReport {
  var date: String
  var machine: MachineInfo
  var loadAverageBefore: String
  var loadAverageAfter: String
  var etcdPath: String
  var pilotBuild: String
  var rounds: Int
  var freeableMiB: Int
  var liveMiB: Int
  var runs: [DefragGapRun]

  private func runs(_ variant: DefragGapVariant) -> [DefragGapRun] { runs.filter { $0.variant == variant.rawValue } }

  var markdown: String {
    func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
    let median = LifecycleReport.median
    let baseline = median(runs(.etcdctl).map(\.longestGapSeconds))
    var lines = [
      "# Defragmentation: write unavailability, etcd-pilot's pass beside etcdctl's",
      "",
      "- Date: \(date)",
      "- Machine: \(machine.processors) CPUs (nproc), \(machine.cpuModel), \(f(machine.memoryGiB, 1)) GiB, \(machine.kernel)",
      "- Load average (1/5/15 min) before: \(loadAverageBefore), after: \(loadAverageAfter)",
      "- etcd: \(etcdPath), 3 members without pilots (the same bare cluster for both); etcd-pilot: \(pilotBuild)",
      "- \(rounds) rounds; each runs both variants, in rotating order, each on a new cluster whose members hold \(liveMiB) MiB of live data (which a defragmentation copies) and \(freeableMiB) MiB of free pages each (written as 1 MiB values, deleted, compacted). One writer per endpoint puts keys back to back (as etcd's own client spreads requests over every endpoint; 2 s deadline per call): a member that stalls holds up only the writes sent to it.",
      "- Longest gap: the longest time between two successful writes during the defragmentation. Baseline: `etcdctl defrag --endpoints=<all three>`. Target: at most 0.1× the baseline.",
      "",
      "| Variant | longest gap s (median) | max | / etcdctl | failed writes (median) | pass s (median) | databases MiB before → after (median) |",
      "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for variant in DefragGapVariant.allCases {
      let runs = runs(variant)
      let gap = median(runs.map(\.longestGapSeconds))
      lines.append(
        "| \(variant.label) | \(f(gap)) | \(f(runs.map(\.longestGapSeconds).max() ?? 0)) | **\(baseline > 0 ? f(gap / baseline, 2) : "-")×** | "
          + "\(f(median(runs.map { Double($0.failedWrites) }), 0)) | \(f(median(runs.map(\.passSeconds)), 1)) | "
          + "\(f(median(runs.map { Double($0.dbMiBBefore) }), 0)) → \(f(median(runs.map { Double($0.dbMiBAfter) }), 0)) |"
      )
    }
    lines += [
      "", "## Each run", "",
      "| Round | Variant | longest gap s | failed writes | writes | pass s | MiB before | MiB after |",
      "|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs {
      lines.append(
        "| \(run.round) | \(run.variant) | \(f(run.longestGapSeconds)) | \(run.failedWrites) | \(run.writes) | \(f(run.passSeconds, 1)) | \(run.dbMiBBefore) | \(run.dbMiBAfter) |"
      )
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
