/// `etcd-pilot defrag`: one on-demand defragmentation pass over a cluster, planned from one
/// reading of every member, before anything is changed.
///
/// The rules are the pilot's own (``MaintenanceDecision``), for a person at a terminal: one
/// member at a time, followers first (most free bytes first), the leader last and only after
/// leadership was handed to a caught-up voter, and never while a voter is down or behind, a
/// learner joins, or a pilot holds the membership lock — a defragmentation stalls its member
/// for as long as etcd rewrites the file, so with a second member out the cluster could lose
/// its quorum. A refusal says what is wrong and what to do, and nothing is changed.
public enum DefragPass {
  /// One member as read just before the pass.
  public struct Member: Sendable, Hashable {
    public enum Health: Sendable, Hashable {
      /// It answered its status and a quorum read.
      case healthy
      /// It answered its status but not a quorum read (no leader, partitioned, erroring).
      case unhealthy(String)
      /// It did not answer at all, or has not started.
      case unreachable(String)
    }

    public var id: UInt64
    /// Empty for a member that never started.
    public var name: String
    /// The client URL it was read at, for messages.
    public var endpoint: String
    public var isLearner: Bool
    public var health: Health
    /// Its database size and size in use; `nil` when it did not answer.
    public var space: SpaceReading.Member?
    public var raftIndex: UInt64
    /// The leader this member knows; 0 for none.
    public var leader: UInt64

    public init(
      id: UInt64, name: String, endpoint: String, isLearner: Bool = false, health: Health,
      space: SpaceReading.Member?, raftIndex: UInt64 = 0, leader: UInt64 = 0
    ) {
      self.id = id
      self.name = name
      self.endpoint = endpoint
      self.isLearner = isLearner
      self.health = health
      self.space = space
      self.raftIndex = raftIndex
      self.leader = leader
    }

    /// `member <hex> (<name>)`, as every line names a member.
    public var label: String { "member \(String(id, radix: 16)) (\(name.isEmpty ? "unstarted" : name))" }
  }

  /// What the membership lock's key held when read.
  public enum Lock: Sendable, Hashable {
    case free
    /// A pilot (or another pass) holds it; the value names the holder.
    case held(by: String)
    /// It could not be read: with auth on, a user other than root may not (and defragmenting
    /// needs root anyway); not knowing, the pass does not start.
    case unreadable(String)
  }

  /// What the pass was asked to do.
  public struct Options: Sendable, Hashable {
    /// Every member, not only those the rule says are due.
    public var all: Bool
    /// etcd's backend quota, which the rule's second reason reads against.
    public var quotaBytes: Int64
    public var rule: DefragRule
    /// A voter further behind the leader than this is not caught up (the pilot's promotion lag).
    public var maximumLag: UInt64

    public init(all: Bool = false, quotaBytes: Int64 = 2 << 30, rule: DefragRule = DefragRule(), maximumLag: UInt64) {
      self.all = all
      self.quotaBytes = quotaBytes
      self.rule = rule
      self.maximumLag = maximumLag
    }
  }

  /// One thing the pass does, in order.
  public enum Step: Sendable, Hashable {
    case defragment(UInt64)
    /// Hands leadership away, so the old leader is defragmented as a follower.
    case moveLeader(from: UInt64, to: UInt64)
  }

  /// The rule's reading of one member, which `--dry-run` prints.
  public struct Assessment: Sendable, Hashable {
    public var memberID: UInt64
    public var space: SpaceReading.Member
    public var isDue: Bool
    /// Why it is due or not, in words.
    public var why: String
  }

  /// The pass: its steps (empty when nothing is due) and every member's assessment, in the
  /// member list's order.
  public struct Plan: Sendable, Hashable {
    public var steps: [Step]
    public var assessments: [Assessment]
    public var leaderID: UInt64

    /// The members defragmented, in order.
    public var order: [UInt64] {
      steps.compactMap { step in
        if case .defragment(let id) = step { return id }
        return nil
      }
    }
  }

  /// Why the pass does not start: one line naming the problem and the fix.
  public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
      case lockHeld, lockUnreadable, voterDown, voterUnhealthy, corrupt, learnerPresent, voterBehind, noLeader
    }
    public var kind: Kind
    public var description: String

    public init(kind: Kind, description: String) {
      self.kind = kind
      self.description = description
    }
  }

  /// Plans the pass from one reading of every member (the member list's), the cluster's alarms
  /// and the membership lock; throws the first reason not to start.
  public static func plan(
    members: [Member], alarms: [SpaceReading.Alarm] = [], lock: Lock, options: Options
  ) throws(Refusal) -> Plan {
    let voters = members.filter { !$0.isLearner }
    // One that did not answer is named before one that answered unhealthily: the second is
    // often the first's consequence (an election going on after it went down).
    let unreachableFirst = voters.filter { if case .unreachable = $0.health { true } else { false } } + voters
    for voter in unreachableFirst {
      switch voter.health {
      case .healthy: continue
      case .unreachable(let reason):
        throw Refusal(
          kind: .voterDown,
          description:
            "voter \(voter.label) is unreachable at \(voter.endpoint): \(reason); bring it back first (etcd-pilot health shows the cluster): a defragmentation stalls a member, and with another out the cluster could lose its quorum"
        )
      case .unhealthy(let reason):
        throw Refusal(
          kind: .voterUnhealthy,
          description:
            "voter \(voter.label) is unhealthy at \(voter.endpoint): \(reason); bring it back first (etcd-pilot health shows the cluster): a defragmentation stalls a member, and with another out the cluster could lose its quorum"
        )
      }
    }
    switch lock {
    case .free: break
    case .held(let holder):
      throw Refusal(
        kind: .lockHeld,
        description:
          "the membership lock is held by \(holder): a pilot is changing the membership or defragmenting; run this again once it is done (the lock frees itself 15 s after its holder stops)"
      )
    case .unreadable(let reason):
      throw Refusal(
        kind: .lockUnreadable,
        description:
          "the membership lock could not be read (\(reason)), so a pilot may be changing the membership: with auth on, defragmenting needs etcd's root user (--user root); otherwise run this again"
      )
    }
    if let corrupt = alarms.first(where: { $0.kind == .corrupt }) {
      let member = members.first { $0.id == corrupt.memberID }
      throw Refusal(
        kind: .corrupt,
        description:
          "\(member?.label ?? "member \(String(corrupt.memberID, radix: 16))") raised CORRUPT: its data differs from the others'; it must be replaced (etcd-pilot's consistency check does it) before any defragmentation"
      )
    }
    if let learner = members.first(where: \.isLearner) {
      throw Refusal(
        kind: .learnerPresent,
        description:
          "learner \(learner.label) is joining: run this again once it is promoted or removed, so that no member is defragmented while the cluster catches a new one up"
      )
    }
    let leaderIDs = Set(voters.map(\.leader))
    guard leaderIDs.count == 1, let leaderID = leaderIDs.first, leaderID != 0,
      let leader = voters.first(where: { $0.id == leaderID })
    else {
      throw Refusal(
        kind: .noLeader,
        description:
          "the voters do not agree on a leader (an election is going on): run this again in a few seconds")
    }
    if let behind = voters.first(where: { leader.raftIndex > $0.raftIndex + options.maximumLag }) {
      throw Refusal(
        kind: .voterBehind,
        description:
          "voter \(behind.label) is \(leader.raftIndex - behind.raftIndex) raft entries behind the leader (more than \(options.maximumLag)): run this again once it has caught up"
      )
    }
    let assessments = members.compactMap { member in
      member.space.map { assess(member.id, $0, options: options) }
    }
    let due = assessments.filter(\.isDue)
    let followers = due.filter { $0.memberID != leaderID }.sorted { lhs, rhs in
      (lhs.space.free, rhs.memberID) > (rhs.space.free, lhs.memberID)
    }
    var steps = followers.map { Step.defragment($0.memberID) }
    if due.contains(where: { $0.memberID == leaderID }) {
      // A cluster of one has nobody to hand leadership to: it is defragmented in place, and
      // writes wait meanwhile, as the pilot does.
      if let successor = successor(of: leader, among: voters) {
        steps.append(.moveLeader(from: leaderID, to: successor.id))
      }
      steps.append(.defragment(leaderID))
    }
    return Plan(steps: steps, assessments: assessments, leaderID: leaderID)
  }

  /// The voter that takes over leadership: the most caught-up other voter (the highest raft
  /// index; the lowest ID among equals, so the plan is the same for the same reading).
  static func successor(of leader: Member, among voters: [Member]) -> Member? {
    voters.filter { $0.id != leader.id }.max { lhs, rhs in
      (lhs.raftIndex, rhs.id) < (rhs.raftIndex, lhs.id)
    }
  }

  /// The rule's reading of one member, in words.
  public static func assess(_ id: UInt64, _ space: SpaceReading.Member, options: Options) -> Assessment {
    let rule = options.rule
    let freeText = "\(mib(space.free)) of \(mib(space.dbSize)) free"
    let isDue: Bool
    let why: String
    if rule.isMostlyFree(space) {
      isDue = true
      why = "\(freeText): at least \(Int(rule.freeShare * 100))% and \(mib(rule.minimumFreeBytes))"
    } else if rule.isNearQuota(space, quota: options.quotaBytes) {
      isDue = true
      why =
        "the database is at \(percent(space.dbSize, of: options.quotaBytes)) of the quota (\(mib(options.quotaBytes))), \(mib(space.free)) to gain"
    } else if options.all {
      isDue = true
      why = "--all (by the rule: \(freeText), below \(Int(rule.freeShare * 100))% or \(mib(rule.minimumFreeBytes)))"
    } else {
      isDue = false
      why =
        "\(freeText), below \(Int(rule.freeShare * 100))% or \(mib(rule.minimumFreeBytes)); the database at \(percent(space.dbSize, of: options.quotaBytes)) of the quota (\(mib(options.quotaBytes)))"
    }
    return Assessment(memberID: id, space: space, isDue: isDue, why: why)
  }

  /// Sizes as the pass prints them: MiB with one decimal, KiB below a MiB (a defragmented small
  /// database is not "0 MiB").
  public static func mib(_ bytes: Int64) -> String {
    if bytes < 1 << 20 { return "\((bytes + 512) >> 10) KiB" }
    let tenths = (bytes * 10 + (1 << 19)) >> 20
    return tenths % 10 == 0 ? "\(tenths / 10) MiB" : "\(tenths / 10).\(tenths % 10) MiB"
  }

  static func percent(_ part: Int64, of whole: Int64) -> String {
    whole > 0 ? "\(Int((Double(part) / Double(whole) * 100).rounded()))%" : "?"
  }
}
