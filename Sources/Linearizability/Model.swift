/// A sequential specification: what a single copy of the object would answer.
public protocol Model: Sendable {
  associatedtype State: Sendable & Hashable
  associatedtype Input: Sendable & Hashable
  associatedtype Output: Sendable & Hashable

  /// The state before any operation.
  var initial: State { get }

  /// Applies `input` in `state`. Returns the state after it when `output` is what the object
  /// would have answered (any answer when `output` is nil: the outcome is unknown), or nil when
  /// the answer is impossible in this state.
  func step(_ state: State, _ input: Input, _ output: Output?) -> State?

  /// One line for a report.
  func describe(_ input: Input, _ output: Output?) -> String
}
