import Foundation

/// What `etcd-pilot verify` found, for people (``text``) and programs (Codable).
public struct VerifyReport: Sendable, Codable {
  public var seed: UInt64
  /// The fault schedule's version.
  public var schedule: Int
  /// The first fault of the seed's schedule that was injected (`verify --from`).
  public var from = 1
  public var faults: [String: Int] = [:]
  public var operations: [String: Int] = [:]
  public var acknowledgedWrites = 0
  public var lostWrites: [String] = []
  public var registerOperations = 0
  /// nil when linearizable; otherwise what could not be explained.
  public var linearizability: String?
  /// nil when the member list equals the desired pods with no learner.
  public var membership: String?
  /// nil when every member reports the same HashKV at the same revision.
  public var consistency: String?
  public var healSeconds: [Double] = []
  /// A fault that could not be carried out or healed, ending the run early.
  public var aborted: String?

  public init(seed: UInt64, schedule: Int) {
    self.seed = seed
    self.schedule = schedule
  }

  public var passed: Bool {
    lostWrites.isEmpty && linearizability == nil && membership == nil && consistency == nil && aborted == nil
  }

  /// Nearest-rank percentile.
  static func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let rank = max(1, Int((p * Double(sorted.count)).rounded(.up)))
    return sorted[min(rank, sorted.count) - 1]
  }

  public var text: String {
    func s(_ value: Double) -> String { String(format: "%.1f s", value) }
    var lines = ["etcd-pilot verify, seed \(seed), schedule \(schedule)" + (from > 1 ? ", from fault \(from)" : "")]
    let injected = faults.values.reduce(0, +)
    lines.append(
      "faults injected: \(injected)"
        + (faults.isEmpty
          ? "" : " (" + faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
    )
    lines.append(
      "operations: ok \(operations["ok"] ?? 0), failed \(operations["failed"] ?? 0), indeterminate \(operations["indeterminate"] ?? 0)"
    )
    lines.append(
      "acknowledged writes: \(acknowledgedWrites), lost: \(lostWrites.count)"
        + (lostWrites.isEmpty
          ? "" : " (" + lostWrites.prefix(5).joined(separator: ", ") + (lostWrites.count > 5 ? ", …" : "") + ")"))
    lines.append(
      "register history: \(registerOperations) operations, "
        + (linearizability.map { "NOT linearizable: \($0)" } ?? "linearizable"))
    lines.append("membership: " + (membership ?? "the member list equals the desired pods, no learner"))
    lines.append("consistency: " + (consistency ?? "every member has the same HashKV at the same revision"))
    if !healSeconds.isEmpty {
      lines.append(
        "time to heal: p50 \(s(Self.percentile(healSeconds, 0.5))), p99 \(s(Self.percentile(healSeconds, 0.99))), max \(s(healSeconds.max() ?? 0))"
      )
    }
    if let aborted { lines.append("aborted: \(aborted)") }
    lines.append(passed ? "PASS" : "FAIL")
    return lines.joined(separator: "\n")
  }
}
