import Synchronization

/// A value shared between tasks, read and written under a lock.
final class LockedValue<Value: Sendable>: Sendable {
  private let storage: Mutex<Value>

  init(_ value: Value) { storage = Mutex(value) }

  func get() -> Value { storage.withLock { $0 } }
  func set(_ value: Value) { storage.withLock { $0 = value } }

  @discardableResult
  func update<R: Sendable>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}
