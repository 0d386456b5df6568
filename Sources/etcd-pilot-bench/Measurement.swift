/// Throughput and latency of one client for one workload at one concurrency, computed the same
/// way for every client from its raw samples.
struct Measurement: Codable, Sendable {
  /// Successful requests in the measured window(s).
  var operations: Int
  /// Failed requests in the measured window(s).
  var errors: Int
  /// The first failure, if any.
  var firstError: String?
  /// The measured window(s), added up.
  var seconds: Double
  /// Successful requests per second.
  var throughput: Double
  var meanMicroseconds: Double
  var p50Microseconds: Double
  var p90Microseconds: Double
  var p99Microseconds: Double
  var p999Microseconds: Double
  var maxMicroseconds: Double
  /// The client process's CPU time per successful request.
  var clientCPUMicrosecondsPerRequest: Double
  /// The server's CPU time per successful request.
  var serverCPUMicrosecondsPerRequest: Double
  /// Cores the client kept busy on average (CPU seconds over window seconds); the machine has
  /// ``MachineInfo/processors``.
  var clientCores: Double
  /// Cores the server kept busy on average.
  var serverCores: Double

  /// Pools `samples` (one per round): throughput is all requests over all windows, percentiles
  /// are over every latency.
  init(pooling samples: [ClientSample]) {
    var latencies = samples.flatMap(\.latenciesNanoseconds)
    latencies.sort()
    operations = latencies.count
    errors = samples.reduce(0) { $0 + $1.errors }
    firstError = samples.lazy.compactMap(\.firstError).first
    seconds = samples.reduce(0) { $0 + $1.elapsedSeconds }
    throughput = seconds > 0 ? Double(operations) / seconds : 0
    meanMicroseconds =
      latencies.isEmpty ? 0 : latencies.reduce(0.0) { $0 + Double($1) } / Double(latencies.count) / 1000
    p50Microseconds = Self.percentile(0.50, of: latencies)
    p90Microseconds = Self.percentile(0.90, of: latencies)
    p99Microseconds = Self.percentile(0.99, of: latencies)
    p999Microseconds = Self.percentile(0.999, of: latencies)
    maxMicroseconds = latencies.last.map { Double($0) / 1000 } ?? 0
    let clientCPU = samples.reduce(0) { $0 + $1.clientCPUSeconds }
    let serverCPU = samples.reduce(0) { $0 + $1.serverCPUSeconds }
    clientCPUMicrosecondsPerRequest = operations > 0 ? clientCPU / Double(operations) * 1e6 : 0
    serverCPUMicrosecondsPerRequest = operations > 0 ? serverCPU / Double(operations) * 1e6 : 0
    clientCores = seconds > 0 ? clientCPU / seconds : 0
    serverCores = seconds > 0 ? serverCPU / seconds : 0
  }

  /// The nearest-rank percentile `fraction` of `sorted` (nanoseconds), in microseconds.
  static func percentile(_ fraction: Double, of sorted: [UInt64]) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up))
    return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1000
  }
}
