/// Our client beside the baseline for one workload at one concurrency, in the same run.
struct Comparison: Codable, Sendable {
  var workload: Workload
  var concurrency: Int
  /// Our ``EtcdClient``, all rounds pooled.
  var swift: Measurement
  /// The Python baseline, all rounds pooled.
  var python: Measurement
  /// Swift's throughput over Python's: above 1 is faster.
  var throughputRatio: Double
  /// Swift's p50 latency over Python's: below 1 is faster.
  var p50Ratio: Double
  /// Swift's p99 latency over Python's: below 1 is faster.
  var p99Ratio: Double
  /// The throughput ratio aimed for (2 at concurrency 64, 1 at concurrency 1), if any.
  var targetThroughputRatio: Double?
  /// Whether `throughputRatio` reached the target.
  var targetMet: Bool?
  /// Each round on its own, to show the noise between rounds.
  var swiftRounds: [Measurement]
  var pythonRounds: [Measurement]

  init(workload: Workload, concurrency: Int, swift: [ClientSample], python: [ClientSample]) {
    self.workload = workload
    self.concurrency = concurrency
    self.swift = Measurement(pooling: swift)
    self.python = Measurement(pooling: python)
    throughputRatio = Self.ratio(self.swift.throughput, self.python.throughput)
    p50Ratio = Self.ratio(self.swift.p50Microseconds, self.python.p50Microseconds)
    p99Ratio = Self.ratio(self.swift.p99Microseconds, self.python.p99Microseconds)
    let ratio = throughputRatio
    targetThroughputRatio = Self.target(concurrency: concurrency)
    targetMet = targetThroughputRatio.map { ratio >= $0 }
    swiftRounds = swift.map { Measurement(pooling: [$0]) }
    pythonRounds = python.map { Measurement(pooling: [$0]) }
  }

  /// The targets of the foundation issue: at concurrency 64 at least twice the baseline's
  /// throughput, at concurrency 1 no slower than it.
  static func target(concurrency: Int) -> Double? {
    switch concurrency {
    case 64: 2
    case 1: 1
    default: nil
    }
  }

  private static func ratio(_ numerator: Double, _ denominator: Double) -> Double {
    denominator > 0 ? numerator / denominator : 0
  }
}
