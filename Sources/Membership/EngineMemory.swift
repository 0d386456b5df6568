/// What the engine remembers between observations: the timers and procedures that a single
/// observation cannot show. Owned by ``MemberEngine``; the pilot only reads it (for `/status`).
public struct EngineMemory: Sendable, Hashable {
  /// Since when (monotonic seconds) this pod's etcd has served with no quorum answering.
  public var noQuorumSince: Double?
  /// The unformed bootstrap marker this volume holds, and since when (monotonic) this pilot has
  /// seen it unformed: the bootstrap timeout runs on this pilot's own clock, never on the clock
  /// of the pod that proposed.
  public var unformed: UnformedMarker?
  /// This member's WAL as last read (``Step/readOwnLog``): kept until etcd starts again or a
  /// quorum answers.
  public var ownLog: OwnLogReading?
  /// The stranded two-voter procedure, while it runs.
  public var stranded: StrandedProgress?
  /// Leadership handoffs that failed in a row.
  public var failedHandoffs = 0
  /// Steps that failed in a row: the pilot backs off before it looks again.
  public var failedSteps = 0
  /// How often etcd was restarted after a crash: each restart backs off longer (``ExitDecision``).
  public var crashRestarts = 0
  /// Observations in a row in which this pod's etcd refused a fresh auth token.
  public var tokenRefusals = 0
  /// With auth, whether this pilot already restarted its caught-up learner before promotion.
  public var learnerRestartedForAuth = false
  /// The revision compacted to for the NOSPACE alarm the space readings show; forgotten once
  /// the alarm is gone.
  public var noSpaceCompactedAt: Int64?
  /// The members defragmented since that compaction.
  public var noSpaceDefragmented: Set<UInt64> = []
  /// When (monotonic) this pilot last compacted or defragmented: space readings taken before it
  /// are stale (they show the databases as they were).
  public var maintainedAt: Double?
  /// The monotonic time of the last observation: when a step's outcome arrives.
  var lastMonotonic: Double = 0
  /// The consistency reading last taken in, and the divergence it found, if any.
  public var lastReading: ConsistencyReading?
  public var lastDivergence: Divergence?
  public var previousDivergence: Divergence?
  /// The leader the last observation showed: readings of another leadership do not count.
  public var leaderID: UInt64?
  /// Since when (monotonic) the proposal has waited only on pods the platform does not run.
  public var absentPodsSince: Double?
  /// Readings at or below this revision were taken before the current leadership.
  public var staleRevision: Int64?

  public init() {}

  public struct UnformedMarker: Sendable, Hashable {
    public var token: String
    public var since: Double
  }
}

/// This member's WAL as read by ``Step/readOwnLog``, or why it could not be read.
public enum OwnLogReading: Sendable, Hashable {
  case read(LogTail)
  case unreadable(String)
}

/// A voter set the consistency check found diverged from an agreeing quorum, and where.
public struct Divergence: Sendable, Hashable {
  public var members: Set<UInt64>
  public var revision: Int64

  public init(members: Set<UInt64>, revision: Int64) {
    self.members = members
    self.revision = revision
  }
}

/// Where the stranded two-voter procedure stands (``StrandedDecision``).
public enum StrandedProgress: Sendable, Hashable {
  /// etcd is being stopped gracefully so that its WAL is read as it is on disk.
  case stopping(other: String)
  /// etcd stopped; `clean` when it exited on SIGTERM within its grace (it closed, and so
  /// synced, its WAL), not when it had to be killed.
  case stopped(other: String, clean: Bool)
  /// The pilot will not continue alone, for this reason, until a quorum answers again.
  case refused(String)
}

/// What happened when the pilot carried out a step, fed back to the engine.
public enum StepOutcome: Sendable, Hashable {
  case done
  /// The step failed; the pilot looks again after a backoff.
  case failed(String)
  /// ``Step/readOwnLog``: what the WAL (and the backend) held.
  case logRead(OwnLogReading)
  /// A stop of etcd: whether it exited on SIGTERM within its grace.
  case stopped(clean: Bool)
  /// ``Step/moveLeader(to:)``: whether leadership moved.
  case handoff(succeeded: Bool)
}

/// What a decision asks the engine to remember; attached to the plan that made it.
enum PlanMemo: Sendable, Hashable {
  case strandedStopping(other: String)
  case strandedRefused(String)
  case waitingForAbsentPods
  /// etcd is restarted after a crash: the next crash backs off longer.
  case crashRestart
}

extension EngineMemory {
  /// Takes in what an observation shows before deciding.
  mutating func observe(_ o: Observation) {
    lastMonotonic = o.monotonic
    if let space = o.space, !space.noSpace {
      noSpaceCompactedAt = nil
      noSpaceDefragmented = []
    }
    switch o.ownRefusedToken {
    case true?: tokenRefusals += 1
    case false?: tokenRefusals = 0
    case nil: break
    }
    let serving: Bool = if case .running(true, _, _) = o.etcd { true } else { false }
    if o.cluster != nil {
      noQuorumSince = nil
      ownLog = nil
      stranded = nil
    } else if serving {
      noQuorumSince = noQuorumSince ?? o.monotonic
    } else {
      noQuorumSince = nil
    }
    if let marker = o.volume.notes.marker, !o.volume.notes.formed {
      if unformed?.token != marker.token { unformed = UnformedMarker(token: marker.token, since: o.monotonic) }
    } else {
      unformed = nil
    }
    if let cluster = o.cluster, cluster.leaderID != leaderID {
      if leaderID != nil {
        staleRevision = [staleRevision, lastReading?.revision, o.consistency?.revision].compactMap { $0 }.max()
        lastReading = nil
        lastDivergence = nil
        previousDivergence = nil
      }
      leaderID = cluster.leaderID
    }
    if let reading = o.consistency, reading.revision != lastReading?.revision, reading.revision > staleRevision ?? .min,
      let cluster = o.cluster
    {
      lastReading = reading
      previousDivergence = lastDivergence
      if case .diverged(let members, _, _) = ConsistencyDecision.verdict(reading, cluster: cluster) {
        lastDivergence = Divergence(members: Set(members.map(\.id)), revision: reading.revision)
      } else {
        lastDivergence = nil
      }
    }
  }

  /// Fills in the observation's remembered fields.
  func fill(_ o: inout Observation) {
    o.secondsWithoutQuorum = noQuorumSince.map { o.monotonic - $0 } ?? 0
    switch ownLog {
    case .read(let tail): o.ownLogTail = tail
    case .unreadable(let problem): o.ownLogProblem = problem
    case nil: break
    }
    o.secondsUnformed = unformed.map { o.monotonic - $0.since }
    o.stranded = stranded
    o.failedHandoffs = failedHandoffs
    o.crashRestarts = crashRestarts
    o.noSpaceCompactedAt = noSpaceCompactedAt
    o.noSpaceDefragmented = noSpaceDefragmented
    if let at = maintainedAt, let space = o.space, space.readAt <= at { o.space = nil }
    o.ownRejectsTokens = o.ownRejectsTokens || tokenRefusals >= o.settings.tokenRefusals
    o.restartLearnerBeforePromotion = o.settings.enablesAuth && !learnerRestartedForAuth
    o.previousDivergence = previousDivergence
    o.secondsWaitingForAbsentPods = absentPodsSince.map { o.monotonic - $0 }
  }

  /// Keeps what a plan asks to be remembered.
  mutating func planned(_ plan: Plan, at monotonic: Double) {
    if plan.memo == .waitingForAbsentPods {
      absentPodsSince = absentPodsSince ?? monotonic
    } else {
      absentPodsSince = nil
    }
    switch plan.memo {
    case .strandedStopping(let other): stranded = .stopping(other: other)
    case .strandedRefused(let reason): stranded = .refused(reason)
    case .crashRestart: crashRestarts += 1
    case .waitingForAbsentPods, nil: break
    }
  }

  /// Takes in the outcome of a step.
  mutating func completed(_ step: Step, _ outcome: StepOutcome) {
    if case .failed = outcome { failedSteps += 1 } else { failedSteps = 0 }
    switch (step, outcome) {
    case (.readOwnLog, .logRead(let reading)):
      ownLog = reading
    case (.stopEtcdBeforeForcing, .stopped(let clean)):
      if case .stopping(let other) = stranded { stranded = .stopped(other: other, clean: clean) }
    case (.startEtcd, .done):
      // A new run of etcd writes its WAL anew: what was read no longer holds.
      ownLog = nil
    case (.forceNewCluster, .done):
      ownLog = nil
      stranded = nil
    case (.compact(let revision), .done):
      noSpaceCompactedAt = revision
      maintainedAt = lastMonotonic
    case (.defragment(let id), let outcome):
      maintainedAt = lastMonotonic
      if outcome == .done, noSpaceCompactedAt != nil { noSpaceDefragmented.insert(id) }
    case (.restartLearnerForAuth, .stopped):
      learnerRestartedForAuth = true
    case (.moveLeader, .handoff(let succeeded)):
      failedHandoffs = succeeded ? 0 : failedHandoffs + 1
    default:
      break
    }
  }
}
