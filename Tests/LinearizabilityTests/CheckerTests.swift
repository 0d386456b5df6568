import Linearizability
import PropertyBased
import Testing

/// The checker itself, on histories whose answer is known: a checker that calls every history
/// linearizable would pass every fault-injection run, so it is tested on wrong ones first.
@Suite("Linearizability checker")
struct CheckerTests {
  typealias Op = Operation<RegisterModel.Input, RegisterModel.Output>
  let checker = LinearizabilityChecker(model: RegisterModel())

  static func op(
    _ input: RegisterModel.Input, _ output: RegisterModel.Output?, _ call: Int64, _ ret: Int64?, key: String = "r",
    client: Int = 0
  ) -> Op {
    Op(key: key, input: input, output: output, call: call, ret: ret, client: client)
  }

  @Test("sequential and overlapping histories that some order explains")
  func linearizable() {
    // write 1, then read 1.
    #expect(checker.check([Self.op(.write(1), .ok, 0, 10), Self.op(.read, .value(1), 20, 30)]) == .linearizable)
    // A read overlapping a write may see either value.
    #expect(checker.check([Self.op(.write(1), .ok, 0, 10), Self.op(.read, .value(nil), 5, 15)]) == .linearizable)
    #expect(checker.check([Self.op(.write(1), .ok, 0, 10), Self.op(.read, .value(1), 5, 15)]) == .linearizable)
    // Two increments by compare-and-set from 0, one after the other.
    #expect(
      checker.check([
        Self.op(.write(0), .ok, 0, 1),
        Self.op(.compareAndSet(expected: 0, new: 1), .swapped(true), 2, 5, client: 1),
        Self.op(.compareAndSet(expected: 0, new: 1), .swapped(false), 3, 6, client: 2),
        Self.op(.compareAndSet(expected: 1, new: 2), .swapped(true), 7, 9, client: 2),
        Self.op(.read, .value(2), 10, 11),
      ]) == .linearizable)
    // An empty history, and keys checked apart.
    #expect(checker.check([]) == .linearizable)
    #expect(
      checker.check([Self.op(.write(1), .ok, 0, 10, key: "a"), Self.op(.read, .value(nil), 20, 30, key: "b")])
        == .linearizable)
  }

  @Test("a stale read after a write was acknowledged is caught")
  func staleRead() {
    let verdict = checker.check([
      Self.op(.write(1), .ok, 0, 10), Self.op(.write(2), .ok, 20, 30), Self.op(.read, .value(1), 40, 50, client: 3),
    ])
    guard case .notLinearizable(let key, let operation, _, _) = verdict else {
      Issue.record("a stale read passed: \(verdict)")
      return
    }
    #expect(key == "r")
    #expect(operation.contains("client 3") && operation.contains("read"), "\(operation)")
  }

  @Test("two compare-and-sets from the same value both succeeding is caught (a lost update)")
  func lostUpdate() {
    let verdict = checker.check([
      Self.op(.write(0), .ok, 0, 1),
      Self.op(.compareAndSet(expected: 0, new: 1), .swapped(true), 2, 6, client: 1),
      Self.op(.compareAndSet(expected: 0, new: 1), .swapped(true), 3, 7, client: 2),
    ])
    #expect(verdict != .linearizable)
  }

  @Test("a read of a value nobody wrote, and a lost acknowledged write, are caught")
  func phantomAndLostWrite() {
    #expect(checker.check([Self.op(.write(1), .ok, 0, 10), Self.op(.read, .value(7), 20, 30)]) != .linearizable)
    // Acknowledged write of 1, then a read finds the register absent: the write was lost.
    #expect(checker.check([Self.op(.write(1), .ok, 0, 10), Self.op(.read, .value(nil), 20, 30)]) != .linearizable)
  }

  @Test("an operation with an unknown outcome may have taken effect, late or never")
  func indeterminate() {
    // The timed-out write shows up later...
    #expect(
      checker.check([Self.op(.write(1), nil, 0, nil), Self.op(.read, .value(1), 100, 110)]) == .linearizable)
    // ... or never.
    #expect(
      checker.check([Self.op(.write(1), nil, 0, nil), Self.op(.read, .value(nil), 100, 110)]) == .linearizable)
    // But not before it was sent.
    #expect(
      checker.check([Self.op(.read, .value(1), 0, 10), Self.op(.write(1), nil, 20, nil)]) != .linearizable)
  }

  @Test(
    "property: histories made by running operations one at a time are linearizable, and a read changed to a value never written is not"
  )
  func sequentialHistories() async {
    await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000).array(of: 1...40)) { seeds in
      var value: Int? = nil
      var history: [Op] = []
      var time: Int64 = 0
      for (index, seed) in seeds.enumerated() {
        let input: RegisterModel.Input =
          switch seed % 3 {
          case 0: .read
          case 1: .write(seed % 5)
          default: .compareAndSet(expected: seed % 2 == 0 ? value : (seed % 5), new: seed % 7)
          }
        let output: RegisterModel.Output
        switch input {
        case .read: output = .value(value)
        case .write(let new):
          value = new
          output = .ok
        case .compareAndSet(let expected, let new):
          let swapped = value == expected
          if swapped { value = new }
          output = .swapped(swapped)
        }
        // Operations overlap their neighbours a little but keep their real-time order.
        history.append(Self.op(input, output, time, time + 15, client: index % 4))
        time += 10
      }
      #expect(checker.check(history) == .linearizable)
      if let read = history.lastIndex(where: { $0.input == .read }), seeds.count > 1 {
        var broken = history
        broken[read].output = .value(99)
        #expect(checker.check(broken) != .linearizable)
      }
    }
  }

  /// A counter history as the verify workload makes one: reads and compare-and-set increments,
  /// neighbours overlapping, every 500th increment timed out (half of those took effect).
  static func counterHistory(operations: Int) -> [Op] {
    var value: Int? = nil
    var history: [Op] = []
    var time: Int64 = 0
    for index in 0..<operations {
      let client = index % 3
      if index % 2 == 0 {
        history.append(op(.read, .value(value), time, time + 15, client: client))
      } else {
        let next = (value ?? 0) + 1
        let input = RegisterModel.Input.compareAndSet(expected: value, new: next)
        if index % 500 == 1 {
          if index % 1000 == 1 { value = next }
          history.append(op(input, nil, time, nil, client: client))
        } else {
          value = next
          history.append(op(input, .swapped(true), time, time + 15, client: client))
        }
      }
      time += 10
    }
    return history
  }

  @Test(
    "a long run's history (200,000 operations on one key, 200 unknown outcomes) is decided, and a lost update in its middle is caught"
  )
  func longHistory() {
    let history = Self.counterHistory(operations: 200_000)
    #expect(checker.check(history) == .linearizable)
    var broken = history
    // An acknowledged increment in the middle that a read after its return does not see.
    let middle = (100_001...).first { broken[$0].output == .swapped(true) }!
    broken[middle + 3].output = broken[middle - 1].output
    guard case .notLinearizable(_, _, let explained, let of) = checker.check(broken) else {
      Issue.record("the lost update was not caught")
      return
    }
    #expect(of == 200_000)
    #expect(explained < of)
  }
}
