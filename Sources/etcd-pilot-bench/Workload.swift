import ArgumentParser

/// What a benchmark run sends to etcd, the same for every client measured.
enum Workload: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
  /// A put of a `valueSize`-byte value to a key never written before.
  case put
  /// A linearizable range read of one existing key (``rangeKey``).
  case range

  /// The key that the range workload reads; written before any run.
  static let rangeKey = "bench/range/key"

  /// Where puts of `client` in one run go: keys `<prefix>/<worker>/<n>`, distinct across runs.
  static func putPrefix(client: String, round: Int, concurrency: Int) -> String {
    "bench/put/\(client)/r\(round)c\(concurrency)"
  }

  var description: String {
    switch self {
    case .put: "put"
    case .range: "range"
    }
  }
}

extension Workload: ExpressibleByArgument {}
