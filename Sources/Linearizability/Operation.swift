/// One operation of a recorded history: what a client asked, what it was told, and when.
///
/// Times are any monotonic clock's readings (nanoseconds, say) taken by the client: `call` just
/// before the request was sent, `ret` just after the answer arrived. An operation whose outcome
/// is unknown (a timeout, a connection lost mid-call) has no output and no return time: it may
/// have taken effect at any moment after its call, or never.
public struct Operation<Input: Sendable & Hashable, Output: Sendable & Hashable>: Sendable, Hashable {
  /// The partition this operation belongs to (a key: operations on different keys are
  /// checked separately, which linearizability allows).
  public var key: String
  public var input: Input
  /// nil when the outcome is unknown.
  public var output: Output?
  public var call: Int64
  /// nil when the outcome is unknown.
  public var ret: Int64?
  /// Who ran it (a worker number), for reports.
  public var client: Int

  public init(key: String, input: Input, output: Output?, call: Int64, ret: Int64?, client: Int = 0) {
    self.key = key
    self.input = input
    self.output = output
    self.call = call
    self.ret = ret
    self.client = client
  }

  /// Whether the client learned the outcome.
  public var isIndeterminate: Bool { output == nil || ret == nil }
}
