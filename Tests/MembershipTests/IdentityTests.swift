import Membership
import Testing

/// Never touch what is not ours (issue 21): data of another cluster, a cluster that is not this
/// StatefulSet's, a volume that cannot be read.
@Suite("Engine: identity before action")
struct IdentityTests {
  static let dataOfC1 = DataIdentity(memberID: Scenario.id(2), clusterID: 0xc1)

  @Test(
    "data whose WAL names another cluster than the record, or than the pod's own notes, or another member: the pilot stops, touching nothing"
  )
  func foreignData() {
    let s = Scenario(me: 2)
    let cases: [(String, VolumeState, RecordState, String)] = [
      (
        "the record names c1",
        VolumeState(
          hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "66", token: "t-formed"),
          dataIdentity: DataIdentity(memberID: 0x77, clusterID: 0xd2)), .present(Scenario.record),
        "belongs to cluster d2, not to this release's cluster c1"
      ),
      (
        "the notes name c1, no record",
        VolumeState(
          hasEtcdData: true, notes: PilotNotes(formed: true, clusterID: "c1"),
          dataIdentity: DataIdentity(memberID: 0x77, clusterID: 0xd2)), .absent,
        "belongs to cluster d2, but this pod's notes say its cluster is c1"
      ),
      (
        "the notes name another member",
        VolumeState(
          hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "66", clusterID: "c1"),
          dataIdentity: DataIdentity(memberID: 0x99, clusterID: 0xc1)), .present(Scenario.record),
        "is member 99, but this pod's notes say it is member 66"
      ),
    ]
    for (what, volume, record, message) in cases {
      for etcd: EtcdRunState in [.stopped, .exited(.crashed("1"))] {
        let plan = MemberEngine.plan(
          s.observe(volume: volume, record: record, cluster: Scenario.healthy(3), etcd: etcd))
        guard case .fail(let text)? = plan.first else {
          Issue.record("\(what): expected a stop: \(plan)")
          continue
        }
        #expect(text.contains(message), "\(what): \(text)")
        #expect(text.contains("nothing was touched"))
      }
    }
    // Its own data: started.
    let own = VolumeState(
      hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "66", clusterID: "c1"), dataIdentity: Self.dataOfC1)
    #expect(
      MemberEngine.plan(s.observe(volume: own, record: .present(Scenario.record), cluster: Scenario.healthy(3))).steps
        == [.startEtcd(.fromData)])
  }

  @Test("a fresh pod never joins a cluster that nothing of its StatefulSet names; it joins the one its record names")
  func foreignClusterNotJoined() {
    let s = Scenario(me: 1)
    // A plain etcd on etcd-0's address: one member of its own, no record, no marker, no peer.
    let foreign = ClusterView(
      clusterID: 0xf00,
      members: [
        MemberView(id: 0x5, name: "default", peerURLs: ["http://localhost:2380"], clientURLs: [Scenario.clientURL(0)])
      ],
      leaderID: 0x5)
    for holdsLock in [false, true] {
      let plan = MemberEngine.plan(s.observe(cluster: foreign, holdsLock: holdsLock))
      #expect(
        !plan.changesMembership && !plan.steps.contains(.acquireLock) && !plan.steps.contains(.addLearner), "\(plan)")
      #expect(plan.reason.text.contains("answers for cluster f00, which is not this StatefulSet's"), "\(plan.reason)")
    }
    // With a record naming another cluster, the same.
    let other = MemberEngine.plan(s.observe(record: .present(Scenario.record), cluster: foreign, holdsLock: true))
    #expect(!other.changesMembership, "\(other)")
    // Its own: the record names it.
    let ours = Scenario.cluster([Scenario.member(0), Scenario.member(2)])
    #expect(
      MemberEngine.plan(s.observe(record: .present(Scenario.record), cluster: ours, holdsLock: true)).steps == [
        .addLearner
      ])
    // Or a formed peer reports it.
    var peer = Scenario.fresh(0)
    peer.fresh = false
    peer.formed = true
    peer.clusterID = "c1"
    #expect(MemberEngine.plan(s.observe(cluster: ours, peers: [peer], holdsLock: true)).steps == [.addLearner])
  }

  @Test("a foreign cluster answering is no reason to propose a new one, nor to move data aside")
  func foreignClusterNeverActedOn() {
    let foreign = ClusterView(clusterID: 0xf00, members: [Scenario.member(0)], leaderID: Scenario.id(0))
    let proposal = MemberEngine.plan(
      Scenario(me: 0).observe(cluster: foreign, peers: [Scenario.fresh(1), Scenario.fresh(2)]))
    #expect(proposal.isWait, "\(proposal)")
    // etcd said "removed", and the foreign list does not hold this member: the data stays.
    let volume = VolumeState(
      hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "66", clusterID: "c1"), dataIdentity: Self.dataOfC1)
    let removed = MemberEngine.plan(Scenario(me: 2).observe(volume: volume, cluster: foreign, etcd: .exited(.removed)))
    #expect(!removed.steps.contains { if case .moveDataAside = $0 { true } else { false } }, "\(removed)")
  }

  @Test(
    "a volume that cannot be read: nothing is decided as if it were empty; etcd keeps running; a stop keeps everything")
  func unreadableVolume() {
    let problem =
      "cannot list etcd's WAL in /data/etcd/member/wal: Permission denied (owned by uid 1000 gid 1000, mode 0700; the pilot runs as uid 10001)"
    let volume = VolumeState.unreadable(problem)
    let s = Scenario(me: 2)
    for etcd: EtcdRunState in [.stopped, Scenario.running(2), .exited(.removed)] {
      for holdsLock in [false, true] {
        let plan = MemberEngine.plan(
          s.observe(
            volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(3), etcd: etcd,
            holdsLock: holdsLock))
        #expect(plan.steps == (holdsLock ? [.releaseLock, .wait] : [.wait]), "\(etcd): \(plan)")
        #expect(plan.reason.kind == .volumeUnreadable, "\(plan)")
        #expect(plan.reason.text.contains("Permission denied (owned by uid 1000"), "\(plan.reason)")
      }
    }
    let stopping = MemberEngine.plan(
      s.observe(volume: volume, cluster: Scenario.healthy(3), etcd: Scenario.running(2), stopping: true))
    #expect(stopping.steps == [.stopEtcd])
    #expect(!volume.isFresh)
  }

  @Test("etcd says 'removed', but nothing says which member the data is: the data stays")
  func removedWithoutIdentity() {
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, clusterID: "c1"))
    let plan = MemberEngine.plan(
      Scenario(me: 2).observe(
        volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(2), etcd: .exited(.removed)))
    #expect(plan.isWait, "\(plan)")
    #expect(plan.reason.kind == .removedUnknownMember, "\(plan)")
  }

  @Test("Go's own panics count as damaged data only when their stack is in the WAL, snapshot or backend code")
  func genericPanics() {
    let elsewhere = EtcdExit.classify(
      lines: [
        "panic: runtime error: slice bounds out of range [:5] with capacity 3", "goroutine 1 [running]:",
        "go.etcd.io/etcd/server/v3/etcdserver/api/v3rpc.(*kvServer).Range(...)",
      ], exitCode: 2, signal: nil)
    guard case .crashed = elsewhere else {
      Issue.record("a panic outside storage taken for damaged data: \(elsewhere)")
      return
    }
    let inWAL = EtcdExit.classify(
      lines: [
        "panic: runtime error: slice bounds out of range [:5] with capacity 3", "goroutine 1 [running]:",
        "go.etcd.io/etcd/server/v3/wal.(*decoder).decodeRecord(...)",
      ], exitCode: 2, signal: nil)
    guard case .corruptData = inWAL else {
      Issue.record("a panic in the WAL's decoder not taken for damaged data: \(inWAL)")
      return
    }
  }

  /// Found by verify (seed 20261128, schedule 1, faults 8–11): a learner killed between opening
  /// its backend and writing its WAL left `member/snap/db` only; counted as data, etcd was
  /// restarted "from data" and failed discovery forever.
  @Test(
    "a backend without a WAL: with a quorum it goes aside and the pod joins anew; without one it is kept and the pod waits"
  )
  func partialData() {
    var volume = VolumeState(hasEtcdData: false, notes: PilotNotes(formed: true, clusterID: "c1"))
    volume.hasPartialData = true
    let s = Scenario(me: 1)
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1, learner: true, started: false)])
    let plan = MemberEngine.plan(s.observe(volume: volume, record: .present(Scenario.record), cluster: cluster))
    #expect(plan.steps == [.moveDataAside(reason: "a backend without a WAL", redundant: true)], "\(plan)")
    let alone = MemberEngine.plan(s.observe(volume: volume, record: .present(Scenario.record), cluster: nil))
    #expect(alone.reason.kind == .partialDataNoQuorum, "\(alone)")
    #expect(alone.isWait)
    #expect(!volume.isFresh)
  }

  /// Issue 13, item 3: a pod restarted with another scheme, peer port or cluster domain (a
  /// `kubectl edit` past the chart's refusal) is told apart from a healthy member.
  @Test("a member whose listed peer URL is not the one this pod advertises says so instead of 'healthy'")
  func changedPeerURL() {
    var listed = Scenario.healthy(3)
    listed.members[1].peerURLs = ["https://etcd-1.etcd:2380"]
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, token: "t-formed"))
    let s = Scenario(me: 1)
    let plan = MemberEngine.plan(
      s.observe(volume: volume, record: .present(Scenario.record), cluster: listed, etcd: Scenario.running(1)))
    #expect(plan.reason.kind == .peerURLChanged, "\(plan)")
    #expect(
      plan.isWait && plan.reason.text.contains("peer URL in etcd's member list is https://etcd-1.etcd:2380"), "\(plan)")
    #expect(plan.reason.text.contains("advertises \(Scenario.peerURL(1))"))
    let same = MemberEngine.plan(
      s.observe(
        volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(3), etcd: Scenario.running(1)))
    #expect(same.reason.kind == .healthy, "\(same)")
  }
}
