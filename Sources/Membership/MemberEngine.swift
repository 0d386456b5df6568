/// The decision engine: an observation in, a plan out; each step's outcome in. Pure: no
/// clocks, files or sockets.
///
/// The pilot builds an ``Observation``, asks for a plan (``plan(_:)``), carries out its steps,
/// reports each step's outcome (``completed(_:_:)``) and observes again. What one observation
/// cannot show — how long a quorum has been missing, a WAL read a moment ago, a procedure in
/// progress — the engine keeps in its ``memory``. A plan holds at most one membership change,
/// only when the observation says the pilot holds the membership lock; after a change the pilot
/// must observe again.
public struct MemberEngine: Sendable {
  public private(set) var memory = EngineMemory()

  public init() {}

  /// What to do now, from what the pilot saw and what the engine remembers.
  public mutating func plan(_ observation: Observation) -> Plan {
    var o = observation
    memory.observe(o)
    memory.fill(&o)
    let plan = Self.plan(o)
    memory.planned(plan, at: observation.monotonic)
    return plan
  }

  /// Takes in what came of a step of the last plan.
  public mutating func completed(_ step: Step, _ outcome: StepOutcome) {
    memory.completed(step, outcome)
  }

  /// How long the pilot waits before it looks again after steps failed in a row: 0.25 s
  /// doubling to 30 s, so that a step that keeps failing (a full volume) does not spin.
  public var retryDelay: Double {
    guard memory.failedSteps > 0 else { return 0 }
    return min(0.25 * Double(1 << min(memory.failedSteps - 1, 7)), 30)
  }

  /// One decision from the observation alone, its remembered fields as given. Every plan keeps
  /// the ``LockRule``.
  public static func plan(_ o: Observation) -> Plan {
    if let problem = o.volume.readProblem {
      return LockRule.applied(VolumeProblemDecision.plan(o, problem: problem), holdsLock: o.holdsLock)
    }
    let o = ClusterIdentity.checked(o)
    let plan: Plan
    if o.stopping {
      plan = StopDecision.plan(o)
    } else {
      switch o.etcd {
      case .stopped: plan = StartDecision.plan(o)
      case .running: plan = RunningDecision.plan(o)
      case .exited(let exit): plan = ExitDecision.plan(o, exit: exit)
      }
    }
    return LockRule.applied(ClusterIdentity.explained(plan, o), holdsLock: o.holdsLock)
  }
}
