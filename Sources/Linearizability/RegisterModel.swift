/// A register that holds an integer (nil: never written), read, written and compare-and-set —
/// what the verify workload does to each of its keys with etcd's Range, Put and Txn.
public struct RegisterModel: Model {
  public enum Input: Sendable, Hashable {
    case read
    case write(Int)
    /// Set `new` if the register holds `expected` (nil: absent).
    case compareAndSet(expected: Int?, new: Int)
  }

  public enum Output: Sendable, Hashable {
    case value(Int?)
    case ok
    case swapped(Bool)
  }

  public init() {}

  public var initial: Int? { nil }

  public func step(_ state: Int?, _ input: Input, _ output: Output?) -> Int?? {
    switch input {
    case .read:
      guard let output else { return .some(state) }
      return output == .value(state) ? .some(state) : nil
    case .write(let value):
      guard output == nil || output == .ok else { return nil }
      return .some(value)
    case .compareAndSet(let expected, let new):
      let matches = state == expected
      switch output {
      case nil: return .some(matches ? new : state)
      case .swapped(let swapped)?: return swapped == matches ? .some(swapped ? new : state) : nil
      default: return nil
      }
    }
  }

  public func describe(_ input: Input, _ output: Output?) -> String {
    let answer = output.map { "\($0)" } ?? "unknown"
    switch input {
    case .read: return "read → \(answer)"
    case .write(let value): return "write \(value) → \(answer)"
    case .compareAndSet(let expected, let new):
      return "compare-and-set \(expected.map(String.init) ?? "absent")→\(new) → \(answer)"
    }
  }
}
