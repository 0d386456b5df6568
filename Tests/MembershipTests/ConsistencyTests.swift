import Membership
import Testing

/// The consistency check's verdict: a voter whose data hashes apart from a quorum that agrees is
/// replaced; nobody is, unless a quorum agrees.
@Suite("Engine: members whose data diverged")
struct ConsistencyTests {
  /// etcd-`me` leads a healthy, formed cluster of `size`; the reading gives each ordinal's hash.
  static func leading(
    _ size: Int = 3, me: Int = 0, hashes: [Int: UInt32], compactions: [Int: Int64] = [:], holdsLock: Bool = true,
    cluster: ClusterView? = nil, confirmed: Bool = true
  ) -> Observation {
    let notes = PilotNotes(formed: true, memberID: String(Scenario.id(me), radix: 16))
    var o = Scenario(pods: size, me: me).observe(
      volume: VolumeState(hasEtcdData: true, notes: notes), record: .present(Scenario.record),
      cluster: cluster ?? Scenario.healthy(size, leader: me), etcd: Scenario.running(me), holdsLock: holdsLock)
    o.consistency = ConsistencyReading(
      revision: 4711,
      hashes: Dictionary(
        uniqueKeysWithValues: hashes.map {
          (Scenario.id($0.key), .init(hash: $0.value, compactRevision: compactions[$0.key] ?? 7))
        }),
      readAt: 990)
    if confirmed, let reading = o.consistency, let cluster = o.cluster,
      case .diverged(let members, _, _) = ConsistencyDecision.verdict(reading, cluster: cluster)
    {
      // The reading before, at another revision, found the same.
      o.previousDivergence = Divergence(members: Set(members.map(\.id)), revision: 4700)
    }
    return o
  }

  @Test("one voter hashes apart from the other two: it is removed under the lock, with both hashes in the reason")
  func divergedFollowerRemoved() {
    let plan = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb]))
    #expect(plan.steps == [.removeMember(memberID: Scenario.id(2), name: "etcd-2")])
    #expect(plan.reason.kind == .removingDiverged, "\(plan)")
    #expect(
      plan.reason.text.contains(
        "etcd-2's data diverged: its HashKV at revision 4711 is bb, the 2 voters etcd-0, etcd-1 agree on aa"))
    let unlocked = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], holdsLock: false))
    #expect(unlocked.steps == [.acquireLock])
  }

  /// Issue 12: the members that outvote a leader may have replayed a log that lost what the
  /// leader applied (a forced member's log, etcd issue 14009); handing leadership over to be
  /// removed could remove the one member that holds a write.
  @Test("the leader's own data diverged: it is never replaced on a hash vote alone; it says so and a person decides")
  func divergedLeaderReports() {
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1, index: 990), Scenario.member(2, index: 995)])
    let plan = MemberEngine.plan(Self.leading(hashes: [0: 0xbb, 1: 0xaa, 2: 0xaa], cluster: cluster))
    #expect(plan.steps == [.releaseLock, .wait])
    #expect(!plan.steps.contains { if case .moveLeader = $0 { true } else { false } })
    #expect(plan.reason.kind == .divergedLeader, "\(plan)")
  }

  @Test(
    "one reading is not enough: the same verdict at a second revision is; a different one, or the same revision, is not"
  )
  func confirmedAtTwoRevisions() {
    let once = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], confirmed: false))
    #expect(!once.changesMembership && once.steps.last == .wait)
    #expect(once.reason.kind == .divergedConfirming, "\(once)")
    var other = Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb])
    other.previousDivergence = Divergence(members: [Scenario.id(1)], revision: 4700)
    #expect(!MemberEngine.plan(other).changesMembership)
    var same = Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb])
    same.previousDivergence = Divergence(members: [Scenario.id(2)], revision: 4711)
    #expect(!MemberEngine.plan(same).changesMembership)
  }

  @Test("the engine remembers the readings: a second at another revision acts; a new leader starts over")
  func rememberedReadings() {
    var engine = MemberEngine()
    var first = Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], confirmed: false)
    #expect(!engine.plan(first).changesMembership)
    #expect(!engine.plan(first).changesMembership, "the same reading again is not a second one")
    var second = first
    second.consistency?.revision = 4800
    #expect(engine.plan(second).steps == [.removeMember(memberID: Scenario.id(2), name: "etcd-2")])
    // Leadership moved away and back: the readings of before no longer count.
    var engine2 = MemberEngine()
    _ = engine2.plan(first)
    first.cluster?.leaderID = Scenario.id(1)
    _ = engine2.plan(first)
    first.cluster?.leaderID = Scenario.id(0)
    _ = engine2.plan(first)
    #expect(!engine2.plan(second).changesMembership)
  }

  @Test(
    "while the voters run different etcd versions nothing is compared; with the action 'report' nothing is replaced")
  func mixedVersionsAndReportOnly() {
    var mixed = Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb])
    mixed.cluster?.members[2].version = "3.5.1"
    mixed.cluster?.members[0].version = "3.4.23"
    let plan = MemberEngine.plan(mixed)
    #expect(!plan.changesMembership)
    #expect(plan.reason.kind == .consistencyUndecided, "\(plan)")
    #expect(plan.reason.text.contains("different etcd versions"), "\(plan.reason)")
    var report = Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb])
    report.settings.replacesDivergedMembers = false
    let reported = MemberEngine.plan(report)
    #expect(!reported.changesMembership && reported.steps.last == .wait)
    #expect(reported.reason.kind == .divergedReportOnly, "\(reported)")
  }

  @Test("no quorum agrees (two voters, two hashes; five voters split 2-2-1): nobody is removed, and the pilot says so")
  func noQuorumNoAction() {
    let two = MemberEngine.plan(Self.leading(2, hashes: [0: 0xaa, 1: 0xbb]))
    #expect(!two.changesMembership && two.steps.last == .wait)
    #expect(two.reason.kind == .consistencyUndecided, "\(two)")
    #expect(two.reason.text.contains("no quorum of 2 agrees"), "\(two.reason)")
    let five = MemberEngine.plan(Self.leading(5, hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb, 3: 0xbb, 4: 0xcc]))
    #expect(!five.changesMembership && five.steps.last == .wait)
    #expect(five.reason.kind == .consistencyUndecided, "\(five)")
    #expect(five.reason.text.contains("restore from a backup"), "\(five.reason)")
  }

  @Test(
    "hashes from different compactions are not compared; members not in the reading or no longer listed are ignored")
  func incomparableReadings() {
    let compacted = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], compactions: [2: 9]))
    #expect(!compacted.changesMembership)
    // etcd-2 did not answer: two agreeing voters, nothing to say.
    let partial = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa]))
    #expect(partial.steps == [.releaseLock, .wait])
    // The reading predates etcd-2's replacement (its old ID): the new member is not judged by it.
    let replaced = Scenario.cluster([
      Scenario.member(0), Scenario.member(1),
      MemberView(id: 999, name: "etcd-2", peerURLs: [Scenario.peerURL(2)], clientURLs: [Scenario.clientURL(2)]),
    ])
    let stale = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], cluster: replaced))
    #expect(!stale.changesMembership)
  }

  @Test("a diverged voter is not removed when the others would lose quorum without it; only the leader's pilot acts")
  func quorumAndLeadership() {
    // etcd-1 is down: removing etcd-2 would leave one live voter of two.
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1, alive: false), Scenario.member(2)])
    let blocked = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], cluster: cluster))
    #expect(!blocked.changesMembership)
    #expect(blocked.reason.kind == .divergedRemovalLosesQuorum, "\(blocked)")
    // A follower's pilot with the same reading does nothing about it.
    let follower = MemberEngine.plan(
      Self.leading(
        me: 1, hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], holdsLock: false, cluster: Scenario.healthy(3, leader: 0)))
    #expect(!follower.changesMembership && follower.steps != [.acquireLock])
  }
}
