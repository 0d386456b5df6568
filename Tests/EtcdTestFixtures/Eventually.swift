/// Polls `condition` until it returns a value or `timeout` passes; never sleeps longer than
/// needed. On timeout it throws, naming what it waited for and the last error seen.
public func eventually<T>(
  _ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(100),
  _ condition: () async throws -> T?
) async throws -> T {
  let clock = ContinuousClock()
  let deadline = clock.now + timeout
  var lastError: (any Error)?
  while true {
    do {
      if let value = try await condition() { return value }
      lastError = nil
    } catch {
      lastError = error
    }
    if clock.now >= deadline {
      throw FixtureError(
        "timed out after \(timeout) waiting for \(what)" + (lastError.map { ": last error: \($0)" } ?? ""))
    }
    try await Task.sleep(for: interval)
  }
}

/// Runs `body`, failing with a clear message if it takes longer than `limit`: no test waits
/// forever on something that did not happen.
public func within<T: Sendable>(
  _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
  try await withThrowingTaskGroup(of: T?.self) { group in
    group.addTask { try await body() }
    group.addTask {
      try await Task.sleep(for: limit)
      return nil
    }
    defer { group.cancelAll() }
    guard let first = try await group.next(), let value = first else {
      throw FixtureError("\(what) did not happen within \(limit)")
    }
    return value
  }
}
