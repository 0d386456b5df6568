/// What one client measured in one run of one workload at one concurrency: every request's
/// latency in the measured window, its length, and the requests that failed.
struct ClientSample: Sendable {
  /// The latency of each successful request started in the window, in nanoseconds.
  var latenciesNanoseconds: [UInt64]
  /// From the window's start until the last request started in it was answered.
  var elapsedSeconds: Double
  /// Requests started in the window that failed.
  var errors: Int
  /// The first of those failures, for the report.
  var firstError: String?
  /// CPU seconds the client process used in the window.
  var clientCPUSeconds: Double
  /// CPU seconds the etcd server used in the window.
  var serverCPUSeconds: Double
}
