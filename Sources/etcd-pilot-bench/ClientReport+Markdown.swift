import Foundation

extension ClientReport {
  /// The report as Markdown: the headline table (raw numbers beside each ratio), then each round.
  var markdown: String {
    var lines: [String] = []
    lines.append("# Client benchmark: EtcdClient (Swift) beside aetcd (Python) on one etcd")
    lines.append("")
    lines.append("- Date: \(date)")
    lines.append(
      "- Machine: \(machine.processors) CPUs (nproc), \(machine.cpuModel), \(Self.format(machine.memoryGiB, 1)) GiB, \(machine.kernel)"
    )
    lines.append("- Load average (1/5/15 min) before: \(loadAverageBefore), after: \(loadAverageAfter)")
    lines.append("- etcd: \(etcdVersion) (\(etcdPath)), one member on loopback, data dir on local disk")
    lines.append("- Swift: \(swiftClient)")
    lines.append("- Python: \(pythonClient)")
    lines.append(
      "- Each run: \(Self.format(warmupSecondsPerRun, 1)) s warm-up (not counted), then \(Self.format(secondsPerRun, 1)) s measured; "
        + "\(rounds) round\(rounds == 1 ? "" : "s"), numbers pool all rounds")
    lines.append(
      "- Workloads: put = \(valueSize)-byte value to a new key; range = linearizable get of one existing key")
    lines.append("- \(method)")
    lines.append("")
    lines.append(
      "| Workload | Concurrency | Swift ops/s | Python ops/s | Throughput Swift/Python | Swift p50 ms | Python p50 ms | p50 Swift/Python | Swift p99 ms | Python p99 ms | p99 Swift/Python | Target | Met |"
    )
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for row in comparisons {
      let target = row.targetThroughputRatio.map { "≥ \(Self.format($0, 1))×" } ?? "–"
      let met = row.targetMet.map { $0 ? "yes" : "**no**" } ?? "–"
      lines.append(
        "| \(row.workload) | \(row.concurrency) | \(Self.format(row.swift.throughput, 0)) | \(Self.format(row.python.throughput, 0)) | "
          + "**\(Self.format(row.throughputRatio, 2))×** | \(Self.milliseconds(row.swift.p50Microseconds)) | "
          + "\(Self.milliseconds(row.python.p50Microseconds)) | \(Self.format(row.p50Ratio, 2)) | "
          + "\(Self.milliseconds(row.swift.p99Microseconds)) | \(Self.milliseconds(row.python.p99Microseconds)) | "
          + "\(Self.format(row.p99Ratio, 2)) | \(target) | \(met) |")
    }
    lines.append("")
    lines.append("Throughput ratio above 1 and latency ratios below 1 mean the Swift client is faster.")
    let errors = comparisons.flatMap { [$0.swift, $0.python] }.reduce(0) { $0 + $1.errors }
    lines.append(errors == 0 ? "No request failed." : "**\(errors) requests failed**: see client.json.")
    lines.append("")
    lines.append("## CPU per request")
    lines.append("")
    lines.append(
      "CPU time (user + system, all threads) in the measured window over the requests answered in it; cores = CPU "
        + "seconds over window seconds (the machine has \(machine.processors)). The client's CPU is its whole process.")
    lines.append("")
    lines.append(
      "| Workload | Concurrency | Swift client µs/req | Python client µs/req | etcd µs/req (Swift run) | etcd µs/req (Python run) | Swift client cores | Python client cores | etcd cores (Swift run) | etcd cores (Python run) |"
    )
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for row in comparisons {
      lines.append(
        "| \(row.workload) | \(row.concurrency) | \(Self.format(row.swift.clientCPUMicrosecondsPerRequest, 0)) | "
          + "\(Self.format(row.python.clientCPUMicrosecondsPerRequest, 0)) | \(Self.format(row.swift.serverCPUMicrosecondsPerRequest, 0)) | "
          + "\(Self.format(row.python.serverCPUMicrosecondsPerRequest, 0)) | \(Self.format(row.swift.clientCores, 2)) | "
          + "\(Self.format(row.python.clientCores, 2)) | \(Self.format(row.swift.serverCores, 2)) | \(Self.format(row.python.serverCores, 2)) |"
      )
    }
    lines.append("")
    lines.append("## Each round")
    lines.append("")
    lines.append(
      "| Workload | Concurrency | Round | Swift ops/s | Python ops/s | Throughput Swift/Python | Swift p99 ms | Python p99 ms |"
    )
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|")
    for row in comparisons {
      for (index, (swift, python)) in zip(row.swiftRounds, row.pythonRounds).enumerated() {
        let ratio = python.throughput > 0 ? swift.throughput / python.throughput : 0
        lines.append(
          "| \(row.workload) | \(row.concurrency) | \(index + 1) | \(Self.format(swift.throughput, 0)) | "
            + "\(Self.format(python.throughput, 0)) | \(Self.format(ratio, 2))× | \(Self.milliseconds(swift.p99Microseconds)) | "
            + "\(Self.milliseconds(python.p99Microseconds)) |")
      }
    }
    lines.append("")
    return lines.joined(separator: "\n")
  }

  private static func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }

  private static func milliseconds(_ microseconds: Double) -> String {
    format(microseconds / 1000, 3)
  }
}
