/// The decision engine: an observation in, a plan out. Pure: no clocks, files or sockets.
///
/// The pilot builds an ``Observation``, asks for a plan, carries out its steps and observes
/// again. A plan holds at most one membership change, only when the observation says the pilot
/// holds the membership lock; after a change the pilot must observe again.
public enum MemberEngine {
  public static func plan(_ observation: Observation) -> Plan {
    if observation.stopping { return StopDecision.plan(observation) }
    switch observation.etcd {
    case .stopped: return StartDecision.plan(observation)
    case .running: return RunningDecision.plan(observation)
    case .exited(let exit): return ExitDecision.plan(observation, exit: exit)
    }
  }
}
