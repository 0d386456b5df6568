import Membership
import Testing

/// Beside the leader: defragmentation one member at a time, the leader last, and NOSPACE left
/// without a person — the rules row by row.
@Suite("Engine: space maintenance")
struct MaintenanceTests {
  static let mib: Int64 = 1 << 20

  /// The leader etcd-0's pilot, a healthy 3-member cluster, and a reading of every member.
  static func leading(
    _ members: [Int: (size: Int64, inUse: Int64)], alarms: [SpaceReading.Alarm] = [], cluster: ClusterView? = nil,
    holdsLock: Bool = true
  ) -> Observation {
    let s = Scenario(me: 0)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "64"))
    var o = s.observe(
      volume: volume, record: .present(Scenario.record), cluster: cluster ?? Scenario.healthy(3),
      etcd: Scenario.running(0),
      holdsLock: holdsLock)
    o.settings.quotaBytes = 1024 * mib
    var readings: [UInt64: SpaceReading.Member] = [:]
    for (ordinal, member) in members {
      readings[Scenario.id(ordinal)] = .init(dbSize: member.size * mib, dbSizeInUse: member.inUse * mib)
    }
    o.space = SpaceReading(members: readings, alarms: alarms, revision: 5000, readAt: 990)
    return o
  }

  static let compact = (size: Int64(100), inUse: Int64(90))
  static let fragmented = (size: Int64(600), inUse: Int64(100))

  @Test(
    "a fragmented follower is defragmented under the lock; without the lock, the lock first; nothing due, nothing done")
  func follower() {
    let plan = MemberEngine.plan(Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact]))
    #expect(plan.steps == [.defragment(memberID: Scenario.id(1))], "\(plan)")
    #expect(plan.reason.kind == .defragmenting)
    let unlocked = MemberEngine.plan(
      Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact], holdsLock: false))
    #expect(unlocked.steps == [.acquireLock])
    let nothing = MemberEngine.plan(Self.leading([0: Self.compact, 1: Self.compact, 2: Self.compact]))
    #expect(nothing.reason.kind == .healthy, "\(nothing)")
    #expect(nothing.steps == [.releaseLock, .wait], "the lock goes once no defragmentation is due")
  }

  @Test("the rule: half free and 64 MiB, or 80% of the quota with 4 MiB free")
  func rule() {
    let rule = DefragRule()
    let quota = 1024 * Self.mib
    #expect(rule.isDue(.init(dbSize: 200 * Self.mib, dbSizeInUse: 100 * Self.mib), quota: quota))
    #expect(
      !rule.isDue(.init(dbSize: 100 * Self.mib, dbSizeInUse: 50 * Self.mib), quota: quota), "50 MiB free: too little")
    #expect(!rule.isDue(.init(dbSize: 300 * Self.mib, dbSizeInUse: 200 * Self.mib), quota: quota), "a third free")
    #expect(rule.isDue(.init(dbSize: 900 * Self.mib, dbSizeInUse: 880 * Self.mib), quota: quota), "near the quota")
    #expect(!rule.isDue(.init(dbSize: 900 * Self.mib, dbSizeInUse: 898 * Self.mib), quota: quota), "nothing to gain")
  }

  @Test("the rule turned off (--no-defrag, defrag.enabled false): nothing is due by it, but NOSPACE is still left")
  func ruleOff() {
    var rule = DefragRule()
    rule.enabled = false
    #expect(!rule.isDue(.init(dbSize: 900 * Self.mib, dbSizeInUse: 10 * Self.mib), quota: 1024 * Self.mib))
    var fragmented = Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.fragmented])
    fragmented.settings.defragRule = rule
    let plan = MemberEngine.plan(fragmented)
    #expect(plan.reason.kind == .healthy, "\(plan)")
    #expect(!plan.steps.contains { if case .defragment = $0 { true } else { false } })
    let alarm = [SpaceReading.Alarm(memberID: Scenario.id(1), kind: .noSpace)]
    var full = Self.leading([0: (1024, 1000), 1: (1024, 1010), 2: (1024, 1000)], alarms: alarm)
    full.settings.defragRule = rule
    #expect(MemberEngine.plan(full).steps.contains(.compact(revision: 5000)))
  }

  @Test("followers first, the most free first; the leader last, by handing leadership away")
  func order() {
    let two = MemberEngine.plan(Self.leading([0: Self.fragmented, 1: (700, 100), 2: Self.fragmented]))
    #expect(two.steps == [.defragment(memberID: Scenario.id(1))], "\(two)")
    let leaderOnly = MemberEngine.plan(Self.leading([0: Self.fragmented, 1: Self.compact, 2: Self.compact]))
    guard case .moveLeader? = leaderOnly.steps.last else {
      Issue.record("expected a handoff: \(leaderOnly)")
      return
    }
    #expect(leaderOnly.reason.kind == .handingOffToDefragment)
    #expect(!leaderOnly.steps.contains(.defragment(memberID: Scenario.id(0))), "the leader never defragments itself")
  }

  @Test("a voter down, a learner joining or a voter behind holds the pass back")
  func health() {
    var down = Scenario.healthy(3)
    down.members[2].isAlive = false
    let waiting = MemberEngine.plan(
      Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact], cluster: down))
    #expect(waiting.reason.kind == .defragWaitsForHealth, "\(waiting)")
    #expect(!waiting.steps.contains { if case .defragment = $0 { true } else { false } })
    var learning = Scenario.healthy(3).members
    learning.append(Scenario.member(3, learner: true))
    let learner = MemberEngine.plan(
      Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact], cluster: Scenario.cluster(learning)))
    #expect(learner.reason.kind == .defragWaitsForHealth, "\(learner)")
    var lagging = Scenario.healthy(3)
    lagging.members[2].raftIndex = 10
    let behind = MemberEngine.plan(
      Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact], cluster: lagging))
    #expect(behind.reason.kind == .defragWaitsForHealth, "\(behind)")
  }

  @Test(
    "NOSPACE: compact to the current revision, defragment every member once (the leader itself last), disarm once all are under the quota"
  )
  func noSpace() {
    var engine = MemberEngine()
    let alarm = [SpaceReading.Alarm(memberID: Scenario.id(1), kind: .noSpace)]
    var full = Self.leading([0: (1024, 1000), 1: (1024, 1010), 2: (1024, 1000)], alarms: alarm)
    full.monotonic = 1000
    let first = engine.plan(full)
    // A compaction needs no lock: the pass's lock goes first (``LockRule``).
    #expect(first.steps == [.releaseLock, .compact(revision: 5000)], "\(first)")
    engine.completed(.compact(revision: 5000), .done)
    // The reading from before the compaction shows the history as it was: not acted on.
    let stale = engine.plan(full)
    #expect(stale.reason.kind != .noSpaceOverQuota && !stale.steps.contains(.disarmNoSpace), "\(stale)")
    // Read again after the compaction — etcd 3.4 still shows the size in use as before (no write
    // followed the compaction) — every member is defragmented once, followers first.
    var order: [UInt64] = []
    for step in 1...3 {
      var read = Self.leading([0: (1024, 1000), 1: (1024, 1010), 2: (1024, 1000)], alarms: alarm)
      read.monotonic = 1000 + Double(step) * 10
      read.space?.readAt = read.monotonic - 5
      let plan = engine.plan(read)
      guard case .defragment(let id)? = plan.steps.last else {
        Issue.record("expected a defragmentation: \(plan)")
        return
      }
      order.append(id)
      engine.completed(.defragment(memberID: id), .done)
    }
    #expect(
      order == [Scenario.id(2), Scenario.id(1), Scenario.id(0)],
      "followers first, most free first; the leader itself last")
    // Every database is small again: disarm.
    var done = Self.leading([0: (11, 10), 1: (11, 10), 2: (11, 10)], alarms: alarm)
    done.monotonic = 1050
    done.space?.readAt = 1045
    let disarm = engine.plan(done)
    #expect(disarm.steps.contains(.disarmNoSpace), "\(disarm)")
    #expect(disarm.reason.kind == .disarmingNoSpace)
  }

  @Test("NOSPACE with the live data over the quota: the alarm stays, the plan says what to do, nothing loops")
  func noSpaceLiveData() {
    var engine = MemberEngine()
    let alarm = [SpaceReading.Alarm(memberID: Scenario.id(0), kind: .noSpace)]
    engine.completed(.compact(revision: 5000), .done)
    for ordinal in 0..<3 { engine.completed(.defragment(memberID: Scenario.id(ordinal)), .done) }
    var o = Self.leading([0: (1020, 1018), 1: (1020, 1018), 2: (1020, 1018)], alarms: alarm)
    o.monotonic = 1000
    let plan = engine.plan(o)
    #expect(plan.isWait && plan.reason.kind == .noSpaceOverQuota, "\(plan)")
    #expect(plan.reason.text.contains("raise the quota"))
    #expect(
      !plan.steps.contains(.disarmNoSpace) && !plan.steps.contains { if case .defragment = $0 { true } else { false } })
    #expect(engine.plan(o) == plan, "the same again: no loop")
  }

  @Test("CORRUPT is never disarmed here, and a paused StatefulSet maintains nothing")
  func corruptAndPaused() {
    let corrupt = [SpaceReading.Alarm(memberID: Scenario.id(2), kind: .corrupt)]
    let plan = MemberEngine.plan(Self.leading([0: Self.compact, 1: Self.compact, 2: Self.compact], alarms: corrupt))
    #expect(!plan.steps.contains(.disarmNoSpace) && plan.reason.kind == .healthy, "\(plan)")
    var paused = Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact])
    paused.desired = .paused(reason: "the StatefulSet etcd wants 0 replicas")
    #expect(!MemberEngine.plan(paused).steps.contains { if case .defragment = $0 { true } else { false } })
  }

  @Test("a reading taken before the last defragmentation is not acted on: it shows the member as it was")
  func staleReading() {
    var engine = MemberEngine()
    var o = Self.leading([0: Self.compact, 1: Self.fragmented, 2: Self.compact])
    o.monotonic = 1000
    #expect(engine.plan(o).steps == [.defragment(memberID: Scenario.id(1))])
    engine.completed(.defragment(memberID: Scenario.id(1)), .done)
    // The same reading (read at 990) again: nothing is defragmented twice on it.
    #expect(!engine.plan(o).steps.contains { if case .defragment = $0 { true } else { false } })
  }
}
