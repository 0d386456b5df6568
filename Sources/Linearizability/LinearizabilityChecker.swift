/// Decides whether a recorded history is linearizable: whether some order of its operations,
/// each placed between its call and its return, explains every answer by the model.
///
/// The search is Wing and Gong's, with Lowe's memoization of (operations placed, state) — the
/// algorithm porcupine uses — run separately per key (linearizability is compositional).
/// Operations with an unknown outcome may take effect anywhere after their call, or never.
public struct LinearizabilityChecker<M: Model>: Sendable {
  public let model: M
  /// The most search steps spent on one key before the answer is "unknown".
  public var stepBudget: Int

  public init(model: M, stepBudget: Int = 5_000_000) {
    self.model = model
    self.stepBudget = stepBudget
  }

  public typealias Op = Operation<M.Input, M.Output>

  /// The verdict on a whole history.
  public enum Verdict: Sendable, Equatable {
    case linearizable
    /// No order explains the history of `key`; `operation` is the first one that could not be
    /// placed after the longest explainable prefix, described in the model's words.
    case notLinearizable(key: String, operation: String, explained: Int, of: Int)
    /// The search ran out of budget on `key`.
    case unknown(key: String)
  }

  public func check(_ history: [Op]) -> Verdict {
    let keys = Dictionary(grouping: history, by: \.key)
    for key in keys.keys.sorted() {
      let verdict = check(key: key, keys[key] ?? [])
      if verdict != .linearizable { return verdict }
    }
    return .linearizable
  }

  /// One event of the search's list: an operation's call or its return.
  private struct Event {
    var operation: Int
    var isCall: Bool
    var time: Int64
  }

  private func check(key: String, _ operations: [Op]) -> Verdict {
    let count = operations.count
    guard count > 0 else { return .linearizable }
    // Events in time order; at equal times calls first (the operations overlap).
    var events: [Event] = []
    for (index, operation) in operations.enumerated() {
      events.append(Event(operation: index, isCall: true, time: operation.call))
      // Unknown outcomes return after everything: they may take effect at any later moment.
      events.append(Event(operation: index, isCall: false, time: operation.isIndeterminate ? .max : operation.ret!))
    }
    events.sort { ($0.time, $0.isCall ? 0 : 1, $0.operation) < ($1.time, $1.isCall ? 0 : 1, $1.operation) }

    // A doubly linked list over `events` (index count is the head sentinel), from which placed
    // operations are lifted and, on backtracking, put back.
    let head = events.count
    var next = Array(1...events.count) + [0]
    var previous = [head] + Array(0..<(events.count - 1)) + [head]
    next[events.count - 1] = -1
    next[head] = 0
    var returnEvent = [Int](repeating: 0, count: count)
    for (position, event) in events.enumerated() where !event.isCall { returnEvent[event.operation] = position }
    func lift(_ call: Int) {
      let ret = returnEvent[events[call].operation]
      for node in [call, ret] {
        let before = previous[node]
        let after = next[node]
        next[before] = after
        if after >= 0 { previous[after] = before }
      }
    }
    func unlift(_ call: Int) {
      let ret = returnEvent[events[call].operation]
      for node in [ret, call] {
        let before = previous[node]
        let after = next[node]
        next[before] = node
        if after >= 0 { previous[after] = node }
      }
    }

    var placed = PlacedSet(count: count)
    var state = model.initial
    var seen: Set<Memo> = []
    var stack: [(call: Int, state: M.State)] = []
    var entry = next[head]
    var steps = 0
    var deepest = (placed: 0, blocking: 0)
    while next[head] >= 0 {
      steps += 1
      if steps > stepBudget { return .unknown(key: key) }
      let event = events[entry]
      if event.isCall {
        let operation = operations[event.operation]
        if let after = model.step(state, operation.input, operation.output) {
          var placedAfter = placed
          placedAfter.insert(event.operation)
          if seen.insert(Memo(placed: placedAfter, state: after)).inserted {
            stack.append((entry, state))
            state = after
            placed = placedAfter
            lift(entry)
            entry = next[head]
            continue
          }
        }
        entry = next[entry]
      } else {
        // An operation returned before any order could place it: undo the last placement.
        if stack.count >= deepest.placed { deepest = (stack.count, event.operation) }
        guard let last = stack.popLast() else {
          let blocking = operations[deepest.blocking]
          return .notLinearizable(
            key: key, operation: "client \(blocking.client): " + model.describe(blocking.input, blocking.output),
            explained: deepest.placed, of: count)
        }
        placed.remove(events[last.call].operation)
        state = last.state
        unlift(last.call)
        entry = next[last.call]
      }
    }
    return .linearizable
  }

  private struct Memo: Hashable {
    var placed: PlacedSet
    var state: M.State
  }
}

/// Which operations are placed, as bits.
struct PlacedSet: Hashable, Sendable {
  private var words: [UInt64]

  init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

  mutating func insert(_ index: Int) { words[index / 64] |= 1 << UInt64(index % 64) }
  mutating func remove(_ index: Int) { words[index / 64] &= ~(1 << UInt64(index % 64)) }
}
