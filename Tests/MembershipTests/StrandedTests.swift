import Membership
import Testing

/// A two-voter cluster scaled to one whose leaving member died before its removal committed.
@Suite("Engine: a two-voter cluster stranded by a scale-down")
struct StrandedTests {
  /// etcd-0 runs, formed, no quorum answers; its own etcd lists etcd-0 and `others`.
  static func stranded(
    desired: Int = 1, me: Int = 0, others: [MemberView] = [Scenario.member(1)], phase: PodPhase.State = .absent,
    seconds: Double = 20, stopping: Bool = false, noted: Bool = true, recorded: Bool = true
  ) -> Observation {
    let notes = noted ? PilotNotes(formed: true, memberID: String(Scenario.id(me), radix: 16)) : PilotNotes()
    var o = Scenario(pods: 2, desired: desired, me: me).observe(
      volume: VolumeState(hasEtcdData: true, notes: notes),
      record: recorded ? .present(Scenario.record) : .absent, cluster: nil, etcd: Scenario.running(me), stopping: stopping,
      phases: [PodPhase(ordinal: 0, state: .running), PodPhase(ordinal: 1, state: phase)])
    o.ownMemberList = [Scenario.member(me)] + others
    o.secondsWithoutQuorum = seconds
    o.ownLogTail = LogTail(commit: 900, lastIndex: 900, leadersBeyondCommit: [])
    return o
  }

  @Test("the other voter's pod is gone and no quorum for 15 s: continue alone with --force-new-cluster")
  func continuesAlone() {
    let plan = MemberEngine.plan(Self.stranded())
    #expect(plan.steps == [.forceNewCluster(removing: "etcd-1")])
    #expect(plan.reason.contains("every committed entry is on this member"))
  }

  /// Found by CI: the cluster formed and the other pod was frozen before this pilot saw a quorum,
  /// so its volume never noted the formation; the cluster record says it formed.
  @Test("this pilot never saw the cluster formed, but its record says so: continue alone all the same")
  func formationSeenOnlyInTheRecord() {
    let plan = MemberEngine.plan(Self.stranded(noted: false))
    #expect(plan.steps == [.forceNewCluster(removing: "etcd-1")])
  }

  /// etcd serves clients only once it has published itself through raft: restarted while
  /// stranded, it answers nothing, and the pilot can neither see the member list nor act.
  @Test("etcd restarted without a quorum never serves: after 30 s the pilot says it waits for members, not that etcd is starting")
  func restartedWithoutQuorum() {
    var o = Self.stranded()
    o.etcd = .running(serving: false, memberID: nil, secondsUp: 5)
    #expect(MemberEngine.plan(o).reason.contains("etcd is starting"))
    o.etcd = .running(serving: false, memberID: nil, secondsUp: 45)
    let plan = MemberEngine.plan(o)
    #expect(plan.isWait)
    #expect(plan.reason.contains("serves no client: it answers only once a quorum of members lets it publish itself"))
  }

  @Test("the WAL is read first: --force-new-cluster discards what lies beyond the commit index")
  func readsTheLogFirst() {
    var o = Self.stranded()
    o.ownLogTail = nil
    let plan = MemberEngine.plan(o)
    #expect(plan.steps == [.readOwnLog])
    #expect(plan.reason.contains("--force-new-cluster discards what lies beyond its commit index"))
  }

  @Test("entries beyond the commit index that this member wrote as leader: never committed, so it continues alone")
  func ownUncommittedProposals() {
    var o = Self.stranded()
    o.ownLogTail = LogTail(commit: 900, lastIndex: 907, leadersBeyondCommit: [Scenario.id(0)])
    let plan = MemberEngine.plan(o)
    #expect(plan.steps == [.forceNewCluster(removing: "etcd-1")])
    #expect(plan.reason.contains("the 7 entries it holds beyond its commit index are its own uncommitted proposals"))
  }

  /// The other voter led, committed an entry once this member held it, acknowledged it to a
  /// client, and died before telling this member: --force-new-cluster would lose that write.
  @Test("entries beyond the commit index written by the other leader, or by a leader unknown: waits, and says how out")
  func anotherLeadersEntries() {
    for leaders: Set<UInt64> in [[Scenario.id(1)], [0], [Scenario.id(0), Scenario.id(1)]] {
      var o = Self.stranded()
      o.ownLogTail = LogTail(commit: 900, lastIndex: 903, leadersBeyondCommit: leaders)
      let plan = MemberEngine.plan(o)
      #expect(plan.isWait, "\(leaders): \(plan)")
      #expect(plan.reason.contains("holds 3 entries beyond its commit index 900"), "\(plan.reason)")
      #expect(plan.reason.contains("Scale back to 2 so that etcd-1 returns with its data"), "\(plan.reason)")
    }
    var unreadable = Self.stranded()
    unreadable.ownLogTail = nil
    unreadable.ownLogProblem = "no WAL segment in /data/etcd/member/wal"
    let plan = MemberEngine.plan(unreadable)
    #expect(plan.isWait)
    #expect(plan.reason.contains("this member's WAL could not be read (no WAL segment in /data/etcd/member/wal)"))
  }

  @Test("before 15 s without quorum it waits, and says what it will do")
  func waitsFirst() {
    let plan = MemberEngine.plan(Self.stranded(seconds: 5))
    #expect(plan.isWait)
    #expect(plan.reason.contains("continuing alone if it is still so after 15 s"))
  }

  @Test("never in any other case: the pod still there or terminating, more voters, a learner, more pods wanted, stopping, paused")
  func otherwiseWaits() {
    let cases: [(String, Observation)] = [
      ("the other pod terminating", Self.stranded(phase: .terminating)),
      ("the other pod running", Self.stranded(phase: .running)),
      ("three voters", Self.stranded(others: [Scenario.member(1), Scenario.member(2)])),
      ("the other a learner", Self.stranded(others: [Scenario.member(1, learner: true)])),
      ("two pods wanted", Self.stranded(desired: 2)),
      ("this pod stopping", Self.stranded(stopping: true)),
      ("no evidence the cluster ever formed", Self.stranded(noted: false, recorded: false)),
    ]
    for (what, observation) in cases {
      let plan = MemberEngine.plan(observation)
      #expect(!plan.steps.contains { if case .forceNewCluster = $0 { true } else { false } }, "\(what): \(plan)")
    }
    var paused = Self.stranded()
    paused.desired = .paused(reason: "scaled to 0")
    #expect(!MemberEngine.plan(paused).steps.contains(.forceNewCluster(removing: "etcd-1")))
    var unlisted = Self.stranded()
    unlisted.ownMemberList = nil
    #expect(MemberEngine.plan(unlisted).isWait)
  }
}
