import Linearizability
import Synchronization

/// What the workload did and was told: every unique write with its outcome, and every register
/// operation for the linearizability check.
public final class History: Sendable {
  public enum Outcome: String, Sendable, Codable {
    /// The server acknowledged it.
    case ok
    /// Certainly not applied (refused, or never sent).
    case failed
    /// Unknown: it may or may not have been applied.
    case indeterminate
  }

  public struct Write: Sendable, Hashable {
    public var key: String
    public var value: String
    public var outcome: Outcome
  }

  public typealias RegisterOperation = Operation<RegisterModel.Input, RegisterModel.Output>

  private struct State {
    var writes: [Write] = []
    var registers: [RegisterOperation] = []
    var registerOutcomes: [Outcome] = []
    /// Register operations left out of the check (certainly without effect).
    var unchecked: [Outcome: Int] = [:]
  }
  private let state = Mutex(State())

  public init() {}

  func record(_ write: Write) { state.withLock { $0.writes.append(write) } }

  func record(_ operation: RegisterOperation, _ outcome: Outcome) {
    state.withLock {
      $0.registers.append(operation)
      $0.registerOutcomes.append(outcome)
    }
  }

  /// Counts an operation that certainly had no effect, so is not part of the check.
  func recordUnchecked(_ outcome: Outcome) { state.withLock { $0.unchecked[outcome, default: 0] += 1 } }

  public var writes: [Write] { state.withLock { $0.writes } }
  public var registerOperations: [RegisterOperation] { state.withLock { $0.registers } }

  /// Operations by outcome, writes and register operations together.
  public var counts: [Outcome: Int] {
    state.withLock { state in
      var counts: [Outcome: Int] = [:]
      for write in state.writes { counts[write.outcome, default: 0] += 1 }
      for outcome in state.registerOutcomes { counts[outcome, default: 0] += 1 }
      for (outcome, count) in state.unchecked { counts[outcome, default: 0] += count }
      return counts
    }
  }
}
