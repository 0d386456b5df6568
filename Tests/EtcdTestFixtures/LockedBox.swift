import Synchronization

/// A value shared between tasks under a lock.
public final class LockedBox<Value: Sendable>: Sendable {
  private let storage: Mutex<Value>
  public init(_ value: Value) { storage = Mutex(value) }
  public func get() -> Value { storage.withLock { $0 } }
  public func set(_ value: Value) { storage.withLock { $0 = value } }
  @discardableResult
  public func update<R: Sendable>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}
