/// The faults `etcd-pilot verify` injects, each a thing that happens to real clusters.
public enum Fault: String, CaseIterable, Sendable, Codable, Hashable {
  case killFollower = "SIGKILL a follower"
  case killLeader = "SIGKILL the leader"
  case termFollower = "SIGTERM a follower"
  case termLeader = "SIGTERM the leader"
  case killQuorum = "SIGKILL a quorum"
  case lostVolume = "lost volume"
  case crashDuringJoin = "crash during join"
  case crashDuringScaleDown = "crash during scale-down"
  case scaleUp = "scale up"
  case scaleDown = "scale down"
  case scaleToOneAndBack = "scale to 1 and back"
  case fullRestart = "full-cluster restart"
  case blackhole = "peer traffic blackholed"
  case delay = "peer traffic delayed"
  case drop = "peer traffic dropped"
  case rollingRestart = "rolling restart"
  /// Schedule 2 on. Schedule 1 draws from the cases before it, in this order.
  case termQuorum = "SIGTERM a quorum"
  // Schedule 3 on (issue 12): the conditions the earlier schedules never combined.
  /// A member's whole pod stops dead (SIGSTOP: a node lost) for longer than the pilots'
  /// bootstrap timeout, then returns.
  case frozenMember = "member frozen, as on a lost node, then back"
  /// A member's etcd stalls (SIGSTOP) and its pod is then stopped: the pilot's stop of etcd must
  /// give up on SIGTERM and kill it.
  case stalledStop = "etcd stalled while its pod stops"
  /// A member's volume cannot be read for a while (its WAL directory replaced by a file): the
  /// pilot must not take it for empty.
  case unreadableVolume = "volume unreadable for a while"
  /// The cluster record is deleted (`kubectl delete sts --cascade=orphan`, by hand): the leader's
  /// pilot writes it again.
  case recordLost = "cluster record deleted"
  /// A pod's clock jumps (as a node's does when NTP steps it, or never ran): every later fault
  /// runs with it, until another skew sets that pod's clock again. Only the wall clock moves; a
  /// monotonic clock does not (libfaketime, `local up --clock-skew`).
  case clockSkew = "pod clock skewed"
  /// A writer overwrites one key with large values until etcd raises NOSPACE: the pilots must
  /// compact, defragment and disarm with no one's help (issue 15).
  case fillToQuota = "database filled to its quota"
}

/// A seeded pseudo-random sequence (SplitMix64): the same seed gives the same schedule, so a
/// failing run can be replayed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Chooses the next fault for a cluster of `replicas` members, from the seeded sequence.
///
/// New kinds of fault come with a new schedule version: a (seed, version) pair names one run for
/// good, so the seeds recorded in `bench/` keep replaying what they recorded.
public struct FaultSchedule: Sendable {
  public static let maxReplicas = 5
  /// 1: the first sixteen kinds; 2: also SIGTERM of a quorum; 3: also a frozen member, a stalled
  /// stop, an unreadable volume, a lost cluster record, a skewed clock and a database filled to
  /// its quota — and no remedy by the harness: a state that needs a person is a failure.
  public static let versions = 1...3
  public static var latestVersion: Int { versions.upperBound }
  public let version: Int
  let kinds: [Fault]
  var random: SeededRandom

  public init(seed: UInt64, version: Int = FaultSchedule.latestVersion) {
    precondition(Self.versions.contains(version), "fault schedule \(version) does not exist")
    self.version = version
    kinds = Self.kinds(version: version)
    random = SeededRandom(seed: seed)
  }

  /// The kinds of fault schedule `version` draws from, in the order it draws them.
  public static func kinds(version: Int) -> [Fault] {
    let added: [Int: [Fault]] = [
      2: [.termQuorum],
      3: [
        .frozenMember, .stalledStop, .unreadableVolume, .recordLost, .clockSkew, .fillToQuota,
      ],
    ]
    let later = added.filter { $0.key > version }.values.flatMap { $0 }
    return Fault.allCases.filter { !later.contains($0) }
  }

  /// The next fault and, for scaling, the new replica count.
  public mutating func next(replicas: Int) -> (fault: Fault, target: Int) {
    while true {
      let fault = kinds.randomElement(using: &random)!
      switch fault {
      case .scaleUp:
        guard replicas < Self.maxReplicas else { continue }
        return (fault, min(Self.maxReplicas, replicas + Int.random(in: 1...2, using: &random)))
      case .scaleDown:
        guard replicas > 1 else { continue }
        return (fault, max(1, replicas - Int.random(in: 1...2, using: &random)))
      case .crashDuringJoin:
        guard replicas < Self.maxReplicas else { continue }
        return (fault, replicas + 1)
      case .crashDuringScaleDown:
        guard replicas > 1 else { continue }
        return (fault, replicas - 1)
      case .killQuorum, .termQuorum, .killFollower, .termFollower, .lostVolume, .blackhole, .delay, .drop,
        .frozenMember, .stalledStop,
        .unreadableVolume:
        // A follower must exist, and a lost volume needs the rest to keep quorum.
        guard replicas >= 3 else { continue }
        return (fault, replicas)
      case .scaleToOneAndBack:
        guard replicas > 1 else { continue }
        return (fault, replicas)
      default:
        return (fault, replicas)
      }
    }
  }

  /// A number in `range` from the same sequence (which pod, how long).
  public mutating func pick(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
}
