/// A network fault that the peer proxy injects into the connections of a pod.
///
/// A fault is set per pod in a ``FaultTable``; a connection suffers the faults of both of its
/// endpoints, combined by ``combined(with:)``.
public enum Fault: Sendable, Hashable {
  /// No fault: bytes are forwarded as they come.
  case none
  /// Nothing is forwarded in either direction. Open connections stay open but silent, new ones
  /// are accepted but silent. When the blackhole is lifted, every connection that was in it is
  /// closed, because the bytes it swallowed left both byte streams broken; peers reconnect.
  case blackhole
  /// Every chunk of bytes is delivered this long after it arrived, in order. Both directions
  /// are delayed, so a round trip through the proxy grows by twice the delay.
  case delay(Duration)
  /// Each chunk of bytes, with this probability (0...1), is held back as TCP would hold it while
  /// retransmitting a lost segment (200 ms to 1 s); the chunks behind it wait, order is kept.
  case drop(probability: Double)

  /// The fault of a connection whose two endpoints have `self` and `other`: blackhole wins over
  /// drop, drop over delay; of two of the same kind, the stronger one.
  public func combined(with other: Fault) -> Fault {
    switch (self, other) {
    case (.blackhole, _), (_, .blackhole):
      return .blackhole
    case (.drop(let a), .drop(let b)):
      return .drop(probability: max(a, b))
    case (.drop, _):
      return self
    case (_, .drop):
      return other
    case (.delay(let a), .delay(let b)):
      return .delay(max(a, b))
    case (.delay, _):
      return self
    case (_, .delay):
      return other
    case (.none, .none):
      return .none
    }
  }
}

extension Fault: CustomStringConvertible {
  public var description: String {
    switch self {
    case .none: "none"
    case .blackhole: "blackhole"
    case .delay(let delay): "delay \(delay)"
    case .drop(let probability): "drop \(probability)"
    }
  }
}
