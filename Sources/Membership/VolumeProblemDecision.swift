/// The volume could not be read (its permissions, its disk): nothing is known of what it holds,
/// so nothing is decided as if it were empty — no join, no removal, no bootstrap. etcd, if it
/// runs, keeps running; a stop stops it and keeps everything.
enum VolumeProblemDecision {
  static func plan(_ o: Observation, problem: String) -> Plan {
    let why = "this pod's volume cannot be read (\(problem)); nothing is decided until it can be"
    if o.stopping {
      if case .running = o.etcd { return Plan([.stopEtcd], because: .volumeUnreadable, "stopping; \(why)") }
      return .done(.volumeUnreadable, "stopped; \(why)")
    }
    return .wait(.volumeUnreadable, why)
  }
}
