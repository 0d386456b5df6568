/// Beside the leader: keeps the members' databases in order from a ``SpaceReading``.
///
/// - A member's database is defragmented when the rule (``EngineSettings/defragRule``) says it
///   is worth it: one member at a time, under the membership lock, only while every voter is
///   alive and caught up and no learner is joining. The leader's pilot never defragments its own
///   member: when only the leader is left it hands leadership to a caught-up voter, and the new
///   leader's pilot takes it — so the leader always goes last, and never while it leads.
/// - `NOSPACE`: compact to the current revision (this discards history, never current keys),
///   defragment every member that has free pages, then disarm — only once every member's
///   database is under the quota by ``EngineSettings/noSpaceMargin``. When the live data alone
///   fills the quota, the alarm stays and the plan says what to do; nothing loops.
/// - `CORRUPT` is never disarmed here: the consistency check's quorum vote decides whom to
///   replace.
enum MaintenanceDecision {
  static func plan(_ o: Observation, cluster: ClusterView, myID: UInt64) -> Plan? {
    guard let reading = o.space, let desired = o.desired.count, desired > 0 else { return nil }
    let rule = o.settings.defragRule
    let quota = o.settings.quotaBytes
    let recovering = reading.noSpace
    // In NOSPACE, after the compaction, every voter is defragmented once: the size in use a
    // reading shows lags a compaction that no write followed (etcd 3.4), and a defragmentation
    // is what gives the space back in any case.
    let due = cluster.voters.filter { voter in
      guard let member = reading.members[voter.id] else { return false }
      return recovering ? !o.noSpaceDefragmented.contains(voter.id) : rule.isDue(member, quota: quota)
    }
    if recovering, o.noSpaceCompactedAt == nil {
      return Plan(
        [.compact(revision: reading.revision)], because: .compactingForNoSpace,
        "NOSPACE: a member's database reached the quota (\(mib(quota))): compacting to revision \(reading.revision) first — this discards the history before it, never a current key — then defragmenting, then disarming"
      )
    }
    if due.isEmpty {
      guard recovering else { return nil }
      // Disarmed only on a reading of every voter: one that did not answer may be the full one.
      if let unread = cluster.voters.first(where: { reading.members[$0.id] == nil }) {
        return .wait(.defragWaitsForHealth, "NOSPACE: no reading of \(unread.label)'s database yet: not disarming")
      }
      let over = cluster.voters.compactMap { voter in reading.members[voter.id].map { (voter, $0) } }
        .filter { Double($0.1.dbSize) > Double(quota) * (1 - o.settings.noSpaceMargin) }
      guard let (fullest, member) = over.max(by: { $0.1.dbSize < $1.1.dbSize }) else {
        return Plan(
          [.disarmNoSpace], because: .disarmingNoSpace,
          "NOSPACE: every member's database is under the quota (\(mib(quota))) by \(Int(o.settings.noSpaceMargin * 100))% after compaction and defragmentation: disarming the alarm"
        )
      }
      return .wait(
        .noSpaceOverQuota,
        "NOSPACE stays: even compacted and defragmented, \(fullest.label)'s database is \(mib(member.dbSize)) of live data against a quota of \(mib(quota)); raise the quota (the chart's quota, or storage) or delete keys"
      )
    }
    if let blocker = cluster.voters.first(where: { !$0.isAlive || !$0.isStarted }) {
      return .wait(
        .defragWaitsForHealth,
        "defragmentation due, but voter \(blocker.label) is down: waiting until every voter is healthy")
    }
    if let learner = cluster.learners.first {
      return .wait(
        .defragWaitsForHealth,
        "defragmentation due, but learner \(learner.label) is joining: waiting until it is a voter")
    }
    let leaderIndex = cluster.leader?.raftIndex ?? 0
    if let behind = cluster.voters.first(where: { leaderIndex > $0.raftIndex + o.settings.promotableLag }) {
      return .wait(
        .defragWaitsForHealth,
        "defragmentation due, but \(behind.label) is \(leaderIndex - behind.raftIndex) entries behind: waiting until it catches up"
      )
    }
    let followers = due.filter { $0.id != myID }.sorted { lhs, rhs in
      (reading.members[lhs.id]?.free ?? 0, rhs.id) > (reading.members[rhs.id]?.free ?? 0, lhs.id)
    }
    // In NOSPACE writes fail anyway: the leader defragments its own member last, no handoff.
    if followers.isEmpty, recovering, due.contains(where: { $0.id == myID }) {
      // No lock in NOSPACE: taking it is a write etcd refuses then, and no one can take it.
      return Plan(
        [.defragment(memberID: myID)], because: .defragmenting,
        "NOSPACE: defragmenting this leader's own member last (\(describe(reading.members[myID]))): writes fail until the alarm is disarmed anyway"
      )
    }
    guard let next = followers.first else {
      // Only this member, the leader, is left: another voter's pilot defragments it once it
      // leads. A cluster of one has no other: it defragments itself, as there is no way round.
      guard let successor = StopDecision.successor(o, cluster: cluster, excluding: myID) else {
        guard cluster.voters.count == 1, o.holdsLock else {
          return cluster.voters.count == 1
            ? Plan(
              [.acquireLock], because: .defragNeedsLock, "defragmenting this only member needs the membership lock")
            : nil
        }
        return Plan(
          [.defragment(memberID: myID)], because: .defragmenting,
          "\(recovering ? "NOSPACE: " : "")defragmenting this cluster's only member (\(describe(reading.members[myID]))): writes wait meanwhile"
        )
      }
      return Plan(
        [.moveLeader(to: successor.id)], because: .handingOffToDefragment,
        "this leader's database is due for defragmentation (\(describe(reading.members[myID]))): handing leadership to \(successor.label), whose pilot defragments it as a follower"
      )
    }
    // In NOSPACE the lock cannot be taken (a write): the leader's pilot alone acts then.
    guard o.holdsLock || recovering else {
      return Plan(
        [.acquireLock], because: .defragNeedsLock,
        "defragmenting \(next.label) needs the membership lock (one pass at a time)")
    }
    return Plan(
      [.defragment(memberID: next.id)], because: .defragmenting,
      "\(recovering ? "NOSPACE: " : "")defragmenting \(next.label) (\(describe(reading.members[next.id]))), one member at a time, followers first"
    )
  }

  static func describe(_ member: SpaceReading.Member?) -> String {
    guard let member else { return "no reading" }
    return "database \(mib(member.dbSize)), \(mib(member.free)) of it free"
  }

  static func mib(_ bytes: Int64) -> String { JoinDecision.mib(bytes) }
}

/// When a member's database is worth defragmenting.
public struct DefragRule: Sendable, Hashable {
  /// Off: no member is ever due by the rule (a NOSPACE alarm is still handled).
  public var enabled = true
  /// Free pages of at least this share of the database ...
  public var freeShare: Double = 0.5
  /// ... and at least this many bytes (a small database is not worth a stall).
  public var minimumFreeBytes: Int64 = 64 << 20
  /// Or the database above this share of the quota, with at least a sixteenth of
  /// `minimumFreeBytes` free: close to NOSPACE, any room counts.
  public var quotaShare: Double = 0.8

  public init() {}

  public func isDue(_ member: SpaceReading.Member, quota: Int64) -> Bool {
    guard enabled else { return false }
    return isMostlyFree(member) || isNearQuota(member, quota: quota)
  }

  /// The first reason: enough of the database is free pages.
  public func isMostlyFree(_ member: SpaceReading.Member) -> Bool {
    member.free >= minimumFreeBytes && Double(member.free) >= Double(member.dbSize) * freeShare
  }

  /// The second: the database is close to the quota and a defragmentation gains some room.
  public func isNearQuota(_ member: SpaceReading.Member, quota: Int64) -> Bool {
    Double(member.dbSize) >= Double(quota) * quotaShare && member.free >= minimumFreeBytes / 16
  }

  /// How long a defragmentation of a database of `dbSize` bytes may take: etcd rewrites the
  /// whole file, so a minute plus a second per 20 MiB. The pilot's step and `etcd-pilot defrag`
  /// both wait this long.
  public static func deadline(forDatabaseOf dbSize: Int64) -> Duration {
    .seconds(60 + max(0, dbSize) / (20 << 20))
  }
}
