/// Decides whether a recorded history is linearizable: whether some order of its operations,
/// each placed between its call and its return, explains every answer by the model.
///
/// The search is Wing and Gong's, with Lowe's memoization of (operations placed, state) — the
/// algorithm porcupine uses — run separately per key (linearizability is compositional).
/// Operations with an unknown outcome may take effect anywhere after their call, or never.
///
/// The memo holds a 128-bit Zobrist fingerprint of the placed set, not the set: a long run's
/// key has a million operations, and a bit set per placement would cost a million times
/// 125 KB to store and as much to hash. The fingerprint is updated in constant time as
/// operations are placed and lifted. Two different sets colliding (about 2^-128 per pair) could
/// only hide a branch of the search — a false "not linearizable", never a false pass.
public struct LinearizabilityChecker<M: Model>: Sendable {
  public let model: M
  /// The most search steps spent on one key before the answer is "unknown": a fixed part, and a
  /// part per operation of that key. A search that never backtracks still visits, per
  /// placement, every pending operation before the placeable one — and operations with an
  /// unknown outcome stay pending to the end — so a long history needs steps in proportion.
  public var stepBudget: Int
  public var stepBudgetPerOperation: Int

  public init(model: M, stepBudget: Int = 5_000_000, stepBudgetPerOperation: Int = 1_000) {
    self.model = model
    self.stepBudget = stepBudget
    self.stepBudgetPerOperation = stepBudgetPerOperation
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

    let fingerprints = (0..<count).map(PlacedFingerprint.of)
    var placed = PlacedFingerprint()
    var state = model.initial
    var seen: Set<Memo> = []
    let budget = stepBudget + stepBudgetPerOperation * count
    var stack: [(call: Int, state: M.State)] = []
    var entry = next[head]
    var steps = 0
    var deepest = (placed: 0, blocking: 0)
    // Operations with an unknown outcome need never be placed: "never took effect" is one of
    // their outcomes. The search is done once every known one is placed.
    var unplacedKnown = operations.count { !$0.isIndeterminate }
    while unplacedKnown > 0 {
      steps += 1
      if steps > budget { return .unknown(key: key) }
      let event = events[entry]
      if event.isCall {
        let operation = operations[event.operation]
        // Placing an unknown operation where it changes nothing is never needed (leaving it out
        // gives the same states), and would multiply the search: each such operation could
        // be placed or not at every step after its call.
        if let after = model.step(state, operation.input, operation.output),
          !(operation.isIndeterminate && after == state)
        {
          let placedAfter = placed.toggling(fingerprints[event.operation])
          if seen.insert(Memo(placed: placedAfter, state: after)).inserted {
            stack.append((entry, state))
            state = after
            placed = placedAfter
            if !operation.isIndeterminate { unplacedKnown -= 1 }
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
        placed = placed.toggling(fingerprints[events[last.call].operation])
        if !operations[events[last.call].operation].isIndeterminate { unplacedKnown += 1 }
        state = last.state
        unlift(last.call)
        entry = next[last.call]
      }
    }
    return .linearizable
  }

  private struct Memo: Hashable {
    var placed: PlacedFingerprint
    var state: M.State
  }
}

/// A fingerprint of which operations are placed: the XOR of a fixed random 128-bit value per
/// operation (Zobrist hashing), so placing or lifting one operation is one XOR either way.
struct PlacedFingerprint: Hashable, Sendable {
  var high: UInt64 = 0
  var low: UInt64 = 0

  func toggling(_ other: PlacedFingerprint) -> PlacedFingerprint {
    PlacedFingerprint(high: high ^ other.high, low: low ^ other.low)
  }

  /// Operation `index`'s value: SplitMix64 outputs, the same on every run so that a verdict
  /// can be replayed.
  static func of(_ index: Int) -> PlacedFingerprint {
    func splitMix(_ seed: UInt64) -> UInt64 {
      var z = seed &+ 0x9E37_79B9_7F4A_7C15
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    let seed = UInt64(index) &* 2
    return PlacedFingerprint(high: splitMix(seed), low: splitMix(seed &+ 1))
  }
}
