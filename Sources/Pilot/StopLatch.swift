/// Set once when a stop is requested; wakes every waiter at once, so that the pilot's waits end
/// the moment SIGTERM arrives instead of at the next poll.
final class StopLatch: Sendable {
  private struct State {
    var isSet = false
    var nextID = 0
    var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
  }
  private let state = LockedState(State())

  var isSet: Bool { state.withLock { $0.isSet } }

  /// Sets the latch and wakes every waiter.
  func set() {
    let waiters = state.withLock { state in
      state.isSet = true
      defer { state.waiters = [:] }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Returns once the latch is set, or at once when the task is cancelled.
  func wait() async {
    let id = state.withLock { state in
      defer { state.nextID += 1 }
      return state.nextID
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        // Cancellation may have run its handler before this registration: it found nothing to
        // resume, so the check here resumes instead.
        let resumeNow = state.withLock { state in
          if state.isSet || Task.isCancelled { return true }
          state.waiters[id] = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
  }

  /// Sleeps for `duration`, or less when the latch is set meanwhile.
  func sleep(for duration: Duration) async {
    guard !isSet else { return }
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await Task.sleep(for: duration) }
      group.addTask { await self.wait() }
      await group.next()
      group.cancelAll()
    }
  }
}
