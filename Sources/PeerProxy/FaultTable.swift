import Synchronization

/// The faults currently set, per pod name: one table shared by all the peer proxies of a local
/// cluster, changed at any time by the tests (or the supervisor's control API).
///
/// A change applies at once, also to connections that are already open: every proxied chunk
/// looks its fault up when it arrives and again when it is delivered.
public final class FaultTable: Sendable {
  private struct State {
    var faults: [String: Fault] = [:]
    /// Streams of snapshots, one per open connection (see ``changes()``).
    var subscribers: [UInt64: AsyncStream<[String: Fault]>.Continuation] = [:]
    var nextSubscriberID: UInt64 = 0
  }

  private let state = Mutex(State())

  /// An empty table: no pod has a fault.
  public init() {}

  deinit {
    let subscribers = state.withLock { $0.subscribers.values }
    for subscriber in subscribers { subscriber.finish() }
  }

  /// Sets the fault of `pod`'s connections, replacing its previous one; `.none` heals the pod.
  ///
  /// A drop probability is clamped to 0...1 and a negative delay counts as none.
  public func set(_ fault: Fault, for pod: String) {
    let fault = Self.normalized(fault)
    state.withLock { state in
      guard (state.faults[pod] ?? .none) != fault else { return }
      state.faults[pod] = fault == .none ? nil : fault
      // Yielding under the lock keeps every subscriber's sequence of snapshots in the order of
      // the changes; yield only enqueues, it never calls back into this table.
      for subscriber in state.subscribers.values { subscriber.yield(state.faults) }
    }
  }

  /// Heals every pod.
  public func clearAll() {
    state.withLock { state in
      guard !state.faults.isEmpty else { return }
      state.faults = [:]
      for subscriber in state.subscribers.values { subscriber.yield(state.faults) }
    }
  }

  /// The fault set for `pod` (`.none` when there is none).
  public func fault(for pod: String) -> Fault {
    state.withLock { $0.faults[pod] ?? .none }
  }

  /// Every fault currently set, by pod name (pods without a fault are absent).
  public var faults: [String: Fault] {
    state.withLock { $0.faults }
  }

  /// The fault of a connection from `initiator` to `target`: both pods' faults combined. An
  /// unknown initiator (`nil`) has no fault of its own.
  public func fault(target: String, initiator: String?) -> Fault {
    state.withLock { Self.fault(in: $0.faults, target: target, initiator: initiator) }
  }

  /// Every state of the table from now on, in order: one snapshot per change. Each open
  /// connection watches one of these, so that a blackhole that came and went is never missed.
  /// The buffer is unbounded, but changes are rare (set by hand or by a test) and every
  /// subscriber is waiting for them.
  func changes() -> AsyncStream<[String: Fault]> {
    let (stream, continuation) = AsyncStream.makeStream(of: [String: Fault].self)
    let id = state.withLock { state in
      let id = state.nextSubscriberID
      state.nextSubscriberID += 1
      state.subscribers[id] = continuation
      return id
    }
    continuation.onTermination = { [weak self] _ in
      _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
    }
    return stream
  }

  /// Whether the fault of a connection to `target` depends on who initiated it: whether any
  /// other pod has a fault.
  public func dependsOnInitiator(target: String) -> Bool {
    state.withLock { Self.dependsOnInitiator($0.faults, target: target) }
  }

  static func dependsOnInitiator(_ faults: [String: Fault], target: String) -> Bool {
    faults.keys.contains { $0 != target }
  }

  static func fault(in faults: [String: Fault], target: String, initiator: String?) -> Fault {
    let targetFault = faults[target] ?? .none
    guard let initiator else { return targetFault }
    return targetFault.combined(with: faults[initiator] ?? .none)
  }

  private static func normalized(_ fault: Fault) -> Fault {
    switch fault {
    case .drop(let probability):
      let clamped = min(max(probability, 0), 1)
      return clamped == 0 ? .none : .drop(probability: clamped)
    case .delay(let delay):
      return delay <= .zero ? .none : fault
    case .none, .blackhole:
      return fault
    }
  }
}
