/// Where the agent reports what it did (Kubernetes Events in a cluster; nothing locally, where
/// the log says it all).
public protocol EventRecorder: Sendable {
  /// Records one event; never throws and never blocks the agent for long.
  func record(reason: String, message: String, warning: Bool) async
}

/// Records nothing.
public struct NoEvents: EventRecorder {
  public init() {}
  public func record(reason: String, message: String, warning: Bool) async {}
}
