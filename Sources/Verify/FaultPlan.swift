/// One fault with every choice made: which pod, how long, in what order. The schedule draws all
/// of a fault's random choices before anything is injected, so the sequence depends on the seed
/// alone and never on how the cluster behaved; that is what lets `verify --from N` start at
/// fault N of a long run without injecting the faults before it.
public struct FaultPlan: Sendable, Hashable {
  public var fault: Fault
  /// Members before the fault.
  public var replicas: Int
  /// Members after it (differs from `replicas` only for the scaling faults).
  public var target: Int
  /// Which follower, counted among the pods that are not the leader when the fault is applied
  /// (SIGKILL/SIGTERM a follower, lost volume, peer traffic faults).
  public var follower = 0
  /// The pods signalled together (SIGKILL or SIGTERM a quorum).
  public var quorum: [Int] = []
  /// How long after the scale command the crash comes (crash during join or scale-down), or
  /// how long the peer traffic fault lasts.
  public var hold: Duration = .zero
  /// Crash during scale-down: the leader (doing the removals) rather than the leaving pod.
  public var crashLeader = false
  /// Clock skew: the pod whose clock is set, and its offset from the true time in seconds.
  public var pod = 0
  public var clockOffset = 0
  /// The pause after the fault has healed, before the next one.
  public var pause: Duration = .zero

  /// How the fault is printed: its kind and, for scaling, the change.
  public var title: String {
    if fault == .clockSkew { return fault.rawValue + " (pod \(pod): \(clockOffset >= 0 ? "+" : "")\(clockOffset) s)" }
    return fault.rawValue + (target != replicas ? " (\(replicas) → \(target))" : "")
  }
}

extension FaultSchedule {
  /// The next fault for a cluster of `replicas` members, with all its choices.
  ///
  /// The draws come in the order the injector used before plans existed (kind, scaling target,
  /// the fault's own choices, the pause), so a seed recorded with an older build names the
  /// same schedule.
  public mutating func plan(replicas: Int) -> FaultPlan {
    let (fault, target) = next(replicas: replicas)
    var plan = FaultPlan(fault: fault, replicas: replicas, target: target)
    switch fault {
    case .killFollower, .termFollower, .lostVolume:
      plan.follower = pick(0...(replicas - 2))
    case .killQuorum, .termQuorum:
      plan.quorum = Array((0..<replicas).shuffled(using: &random).prefix(replicas / 2 + 1))
    case .crashDuringJoin:
      plan.hold = .milliseconds(pick(500...4000))
    case .crashDuringScaleDown:
      plan.hold = .milliseconds(pick(0...1500))
      plan.crashLeader = pick(0...1) == 1
    case .blackhole, .delay, .drop:
      plan.follower = pick(0...(replicas - 2))
      plan.hold = .seconds(pick(2...6))
    case .frozenMember:
      plan.follower = pick(0...(replicas - 2))
      plan.hold = .seconds(pick(20...45))
    case .stalledStop, .unreadableVolume:
      plan.follower = pick(0...(replicas - 2))
      plan.hold = .seconds(pick(2...8))
    case .clockSkew:
      plan.pod = pick(0...(replicas - 1))
      // Beyond the pilots' bootstrap timeout either way at the ends, and sometimes none (NTP
      // fixed it); within the hour certificates are backdated by (``CertificateAuthority``).
      plan.clockOffset = pick(-900...900)
    case .killLeader, .termLeader, .scaleUp, .scaleDown, .scaleToOneAndBack, .fullRestart, .rollingRestart, .recordLost,
      .fillToQuota:
      break
    }
    plan.pause = .milliseconds(pick(200...2000))
    return plan
  }

  /// The schedule of `seed` positioned at fault `first` (counting from 1), and the members the
  /// cluster has then: the plans before it are drawn and dropped.
  public static func positioned(
    seed: UInt64, version: Int = latestVersion, replicas: Int, at first: Int
  ) -> (schedule: FaultSchedule, replicas: Int) {
    var schedule = FaultSchedule(seed: seed, version: version)
    var current = replicas
    for _ in 1..<max(first, 1) { current = schedule.plan(replicas: current).target }
    return (schedule, current)
  }
}
