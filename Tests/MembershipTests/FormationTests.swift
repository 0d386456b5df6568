import Membership
import Testing

/// When a bootstrap counts as formed, and that a formed one — or one that may have acknowledged
/// a write — is never given up (issue 12, finding 1).
@Suite("Engine: formation and the bootstrap that never fully forms")
struct FormationTests {
  static let marker = Scenario.marker([0, 1, 2], at: 0)
  /// etcd-1's volume: the bootstrap's data, its marker, not noted formed.
  static let bootstrapVolume = VolumeState(hasEtcdData: true, notes: PilotNotes(marker: marker))

  @Test(
    "two of three bootstrap members started and a leader: the formation is recorded, with auth enabled first when asked"
  )
  func quorumForms() {
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1), Scenario.member(2, started: false)])
    var o = Scenario(me: 1).observe(volume: Self.bootstrapVolume, cluster: cluster, etcd: Scenario.running(1))
    o.settings.enablesAuth = true
    let plan = MemberEngine.plan(o)
    guard plan.steps.count == 3, plan.steps[0] == .enableAuth, case .createRecord(let record) = plan.steps[1] else {
      Issue.record("expected auth, record and note: \(plan)")
      return
    }
    #expect(record.token == Self.marker.token && record.clusterID == "c1")
    #expect(plan.steps[2] == .noteFormed(token: Self.marker.token))
  }

  @Test("a record that could not be read is read again: neither the record nor auth is skipped for good")
  func unknownRecordWaits() {
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1), Scenario.member(2, started: false)])
    var o = Scenario(me: 1).observe(
      volume: Self.bootstrapVolume, record: .unknown, cluster: cluster, etcd: Scenario.running(1))
    o.settings.enablesAuth = true
    let plan = MemberEngine.plan(o)
    #expect(!plan.steps.contains(.enableAuth) && !plan.steps.contains(.noteFormed(token: Self.marker.token)), "\(plan)")
    o.record = .absent
    #expect(MemberEngine.plan(o).steps.first == .enableAuth)
  }

  @Test("past the timeout, a member whose WAL holds entries beyond the bootstrap's configuration never gives it up")
  func leaderSeenInTheWAL() {
    var o = Scenario(me: 1).observe(
      volume: Self.bootstrapVolume, etcd: .exited(.crashed("killed by signal 9")), now: 1000)
    #expect(MemberEngine.plan(o).steps == [.readOwnLog])
    o.ownLogTail = LogTail(commit: 40, lastIndex: 41, leadersBeyondCommit: [Scenario.id(0)])
    let plan = MemberEngine.plan(o)
    #expect(plan.isWait, "\(plan)")
    #expect(plan.reason.kind == .bootstrapSawLeader, "\(plan)")
    #expect(plan.reason.text.contains("a leader existed and may have acknowledged writes"), "\(plan.reason)")
    #expect(!plan.steps.contains { if case .moveDataAside = $0 { true } else { false } })
  }

  @Test("past the timeout, a volume whose etcd once served, or whose bootstrap a peer served, never gives it up")
  func servedNeverAbandoned() {
    var served = Self.bootstrapVolume
    served.notes.served = true
    let own = MemberEngine.plan(Scenario(me: 1).observe(volume: served, now: 1000))
    #expect(own.steps == [.startEtcd(.fromData)], "\(own)")
    // A fresh pod holding only the marker (its etcd never wrote a WAL), a peer that served it.
    var peer = Scenario.fresh(0)
    peer.fresh = false
    peer.marker = Self.marker
    peer.served = true
    let markerOnly = VolumeState(hasEtcdData: false, notes: PilotNotes(marker: Self.marker))
    let plan = MemberEngine.plan(Scenario(me: 2).observe(volume: markerOnly, peers: [peer], now: 1000))
    #expect(!plan.steps.contains { if case .moveDataAside = $0 { true } else { false } }, "\(plan)")
  }

  /// A clock difference between nodes: the marker's proposal time comes from ordinal 0's clock.
  @Test("the bootstrap timeout runs on this pilot's own clock: a proposer's clock far behind gives nothing up")
  func ownClock() {
    var engine = MemberEngine()
    var o = Scenario(me: 1).observe(volume: Self.bootstrapVolume, now: 1_000_000)
    o.monotonic = 10
    #expect(engine.plan(o).steps == [.startEtcd(.fromData)], "proposed 'a million seconds ago' by another clock")
    o.monotonic = 200
    #expect(engine.plan(o).steps == [.startEtcd(.fromData)])
    o.monotonic = 311
    let late = engine.plan(o)
    #expect(late.steps == [.readOwnLog], "\(late)")
  }

  @Test(
    "once formed, a bootstrap member whose pod never started it is replaced after the learner timeout, under the lock")
  func neverStartedReplaced() {
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1), Scenario.member(2, started: false)])
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(marker: Self.marker, formed: true))
    let s = Scenario(me: 0)
    let early = MemberEngine.plan(
      s.observe(
        volume: volume, record: .present(Scenario.record), cluster: cluster, etcd: Scenario.running(0), holdsLock: true,
        stalled: [Scenario.id(2): 100]))
    #expect(!early.changesMembership, "\(early)")
    let late = MemberEngine.plan(
      s.observe(
        volume: volume, record: .present(Scenario.record), cluster: cluster, etcd: Scenario.running(0), holdsLock: true,
        stalled: [Scenario.id(2): 301]))
    #expect(late.steps == [.removeMember(memberID: Scenario.id(2), name: Scenario.peerURL(2))], "\(late)")
  }

  /// Formation needs only a quorum of the bootstrap's members: one whose pod starts a little
  /// after it (the 20-second-late pod of the lifecycle test) takes its own entry, not a new one.
  @Test(
    "a bootstrap member whose pod starts after the formation starts as its unstarted entry, not as a learner added anew"
  )
  func lateBootstrapMember() {
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1), Scenario.member(2, started: false)])
    let record = ClusterRecord(token: Self.marker.token, clusterID: "c1", memberIDs: ["64", "65", "66"], formedAt: 1)
    var peers = [Scenario.fresh(0), Scenario.fresh(1)]
    for index in peers.indices {
      peers[index].fresh = false
      peers[index].marker = Self.marker
      peers[index].formed = true
    }
    let s = Scenario(me: 2)
    let plan = MemberEngine.plan(s.observe(record: .present(record), cluster: cluster, peers: peers))
    let start = EtcdStart(state: .new, initialCluster: Self.marker.initialCluster, token: Self.marker.token)
    #expect(plan.steps == [.writeMarker(Self.marker), .startEtcd(start)], "\(plan)")
    #expect(plan.reason.kind == .startingAsLateMember, "\(plan)")

    // Its entry started once (its volume was lost since), or the marker is another cluster's: it joins anew.
    let started = Scenario.cluster([Scenario.member(0), Scenario.member(1), Scenario.member(2)])
    let rejoin = MemberEngine.plan(s.observe(record: .present(record), cluster: started, peers: peers))
    #expect(!rejoin.steps.contains(.startEtcd(start)), "\(rejoin)")
    let other = ClusterRecord(token: "t-other", clusterID: "c1", memberIDs: ["64", "65", "66"], formedAt: 1)
    let foreign = MemberEngine.plan(s.observe(record: .present(other), cluster: cluster, peers: peers))
    #expect(!foreign.steps.contains(.startEtcd(start)), "\(foreign)")
  }

  @Test("the cluster record missing from a formed cluster is written again by the leader")
  func recordRewritten() {
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, token: "t-formed"))
    let plan = MemberEngine.plan(
      Scenario(me: 0).observe(volume: volume, record: .absent, cluster: Scenario.healthy(3), etcd: Scenario.running(0)))
    guard case .createRecord(let record)? = plan.first else {
      Issue.record("expected the record to be written again: \(plan)")
      return
    }
    #expect(record.token == "t-formed" && record.clusterID == "c1" && record.memberIDs == ["64", "65", "66"])
    let follower = MemberEngine.plan(
      Scenario(me: 1).observe(volume: volume, record: .absent, cluster: Scenario.healthy(3), etcd: Scenario.running(1)))
    #expect(follower.isWait, "only the leader writes it: \(follower)")
  }

  @Test("a running etcd's member and cluster are noted on the volume, with that it served")
  func notesKept() {
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true))
    let plan = MemberEngine.plan(
      Scenario(me: 1).observe(
        volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(3), etcd: Scenario.running(1),
        upToDate: false))
    #expect(plan.steps == [.noteMember(memberID: Scenario.id(1), clusterID: 0xc1)])
  }
}
