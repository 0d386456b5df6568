import UnixSignals

/// SIGTERM and SIGINT, as the pilot receives them: their default action (exit) is replaced by a
/// stop that follows the pod's rules.
enum SignalStream {
  static func make() async -> UnixSignalsSequence {
    await UnixSignalsSequence(trapping: .sigterm, .sigint)
  }
}
