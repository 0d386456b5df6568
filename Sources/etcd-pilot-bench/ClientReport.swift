import Foundation

/// The result of `etcd-pilot-bench client`: the machine, the server, the clients, the method and
/// every comparison. Written as JSON (raw numbers) and as Markdown (tables).
struct ClientReport: Codable, Sendable, JSONReport {
  /// When the run started, ISO 8601.
  var date: String
  var machine: MachineInfo
  /// Load averages (1, 5, 15 min) before and after the run.
  var loadAverageBefore: String
  var loadAverageAfter: String
  var etcdVersion: String
  var etcdPath: String
  /// Our client and how it was built.
  var swiftClient: String
  /// The baseline: library and versions, as the script reports them.
  var pythonClient: String
  var secondsPerRun: Double
  var warmupSecondsPerRun: Double
  /// How many times each (workload, concurrency, client) ran; the numbers pool all rounds.
  var rounds: Int
  var valueSize: Int
  /// How the runs were ordered and interleaved.
  var method: String
  var comparisons: [Comparison]

  /// Writes the report as pretty JSON to `path`, making its directory if needed.
  /// Writes ``markdown`` to `path`, making its directory if needed.
  func writeMarkdown(to path: String) throws {
    try ReportFile.write(Data(markdown.utf8), to: path)
  }
}

/// Where reports go: a file written whole, its directory made if needed.
enum ReportFile {
  static func write(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url, options: .atomic)
  }
}

/// A benchmark's result, written as JSON: the raw numbers beside its Markdown tables.
protocol JSONReport: Encodable {}

extension JSONReport {
  func writeJSON(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try ReportFile.write(try encoder.encode(self), to: path)
  }
}
