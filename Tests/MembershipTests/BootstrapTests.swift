import Membership
import Testing

@Suite("Engine: bootstrap")
struct BootstrapTests {
  @Test("ordinal 0 proposes only when every pod answers fresh, with distinct UIDs")
  func proposal() {
    let s = Scenario(me: 0)
    let waiting = MemberEngine.plan(s.observe(peers: [Scenario.fresh(1)]))
    #expect(waiting.isWait)
    #expect(waiting.reason.kind == .waitingForFreshPods, "\(waiting)")
    #expect(waiting.reason.text.contains("etcd-2"))

    // A stale DNS answer: two names, one pod.
    let duplicate = MemberEngine.plan(
      s.observe(peers: [Scenario.fresh(1, uid: "same"), Scenario.fresh(2, uid: "same")]))
    #expect(duplicate.isWait)

    let plan = MemberEngine.plan(s.observe(peers: [Scenario.fresh(1), Scenario.fresh(2)]))
    let marker = Scenario.marker([0, 1, 2], token: "t-new", at: 1000)
    #expect(
      plan.steps == [
        .writeMarker(marker), .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: "t-new")),
      ])
  }

  /// Issue 13, item 7: one unschedulable pod kept the whole cluster from ever forming.
  @Test(
    "pods the platform does not run: after the timeout the others form the cluster; a pod that runs but is not fresh always blocks"
  )
  func absentPods() {
    var engine = MemberEngine()
    let s = Scenario(me: 0)
    let phases = [
      PodPhase(ordinal: 0, state: .running), PodPhase(ordinal: 1, state: .running),
      PodPhase(ordinal: 2, state: .pending),
    ]
    var o = s.observe(peers: [Scenario.fresh(1)], phases: phases)
    o.monotonic = 0
    let first = engine.plan(o)
    #expect(first.reason.kind == .waitingForAbsentPods, "\(first)")
    #expect(
      first.isWait && first.reason.text.contains("the platform does not run it: forming without it after 120 s"),
      "\(first.reason)")
    o.monotonic = 119
    #expect(engine.plan(o).isWait)
    o.monotonic = 121
    let formed = engine.plan(o)
    let marker = Scenario.marker([0, 1], token: "t-new", at: 1000)
    #expect(
      formed.steps == [
        .writeMarker(marker), .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: "t-new")),
      ], "\(formed)")
    #expect(formed.reason.kind == .proposingCluster, "\(formed)")
    #expect(formed.reason.text.contains("etcd-2 has not run for 121 s"), "\(formed.reason)")
    // etcd-2 runs but does not answer fresh (it may hold data): never without it.
    var running = s.observe(
      peers: [Scenario.fresh(1)], phases: phases.map { PodPhase(ordinal: $0.ordinal, state: .running) })
    running.secondsWaitingForAbsentPods = 500
    #expect(MemberEngine.plan(running).isWait)
    // With a record, never.
    var recorded = s.observe(record: .present(Scenario.record), peers: [Scenario.fresh(1)], phases: phases)
    recorded.secondsWaitingForAbsentPods = 500
    #expect(MemberEngine.plan(recorded).isWait)
  }

  @Test("a peer that is not fresh prevents the proposal")
  func notFreshPeer() {
    let s = Scenario(me: 0)
    var stale = Scenario.fresh(2)
    stale.fresh = false
    #expect(MemberEngine.plan(s.observe(peers: [Scenario.fresh(1), stale])).isWait)
  }

  @Test("any pilot adopts a marker published by any peer; one holding a marker resumes with it")
  func adoption() {
    let marker = Scenario.marker([0, 1, 2])
    var peer = Scenario.fresh(0)
    peer.fresh = false
    peer.marker = marker
    let s = Scenario(me: 2)
    let start = EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token)
    #expect(MemberEngine.plan(s.observe(peers: [peer])).steps == [.writeMarker(marker), .startEtcd(start)])
    let resumed = MemberEngine.plan(
      s.observe(volume: VolumeState(hasEtcdData: false, notes: PilotNotes(marker: marker))))
    #expect(resumed.steps == [.startEtcd(start)])
  }

  @Test("seeing peers bootstrapping (a quorum already up) is the normal case, not 'a cluster exists'")
  func lateBootstrapMember() {
    let marker = Scenario.marker([0, 1, 2])
    var peer = Scenario.fresh(0)
    peer.fresh = false
    peer.marker = marker
    let members = [Scenario.member(0), Scenario.member(1), Scenario.member(2, started: false)]
    let s = Scenario(me: 2)
    let plan = MemberEngine.plan(s.observe(cluster: Scenario.cluster(members), peers: [peer]))
    #expect(
      plan.steps.contains(
        .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token))))
  }

  /// The WAL of a member of a 3-member bootstrap that never saw a leader: its 3 configuration
  /// entries, nothing more.
  static let bootstrapOnlyLog = LogTail(commit: 3, lastIndex: 3, leadersBeyondCommit: [])

  @Test(
    "an unformed bootstrap that no longer fits the desired pods is abandoned once its WAL shows no leader: data aside, new token later"
  )
  func abandonOnScaleDown() {
    let marker = Scenario.marker([0, 1, 2])
    let s = Scenario(desired: 2, me: 1)
    var o = s.observe(volume: VolumeState(hasEtcdData: true, notes: PilotNotes(marker: marker)))
    #expect(MemberEngine.plan(o).steps == [.readOwnLog])
    o.ownLogTail = Self.bootstrapOnlyLog
    let plan = MemberEngine.plan(o)
    guard case .moveDataAside(let reason, let redundant)? = plan.first else {
      Issue.record("expected the data to go aside: \(plan)")
      return
    }
    #expect(reason.contains("abandoned"))
    #expect(!redundant, "an abandoned bootstrap's data is never deleted by the pilot")
  }

  @Test("an unformed bootstrap older than the timeout is abandoned; a formed one never")
  func abandonOnTimeout() {
    let marker = Scenario.marker([0, 1, 2], at: 0)
    let s = Scenario(me: 1)
    var o = s.observe(volume: VolumeState(hasEtcdData: true, notes: PilotNotes(marker: marker)), now: 1000)
    o.ownLogTail = Self.bootstrapOnlyLog
    let old = MemberEngine.plan(o)
    #expect(old.steps.first.map { if case .moveDataAside = $0 { true } else { false } } == true)
    let formed = MemberEngine.plan(
      s.observe(volume: VolumeState(hasEtcdData: true, notes: PilotNotes(marker: marker, formed: true)), now: 1000))
    #expect(formed.steps == [.startEtcd(.fromData)])
  }

  @Test("no bootstrap while the cluster record exists or a peer says the cluster formed")
  func recordPreventsBootstrap() {
    let s = Scenario(me: 0)
    #expect(
      MemberEngine.plan(s.observe(record: .present(Scenario.record), peers: [Scenario.fresh(1), Scenario.fresh(2)]))
        .isWait)
    #expect(MemberEngine.plan(s.observe(record: .unknown, peers: [Scenario.fresh(1), Scenario.fresh(2)])).isWait)
    var formedPeer = Scenario.fresh(1)
    formedPeer.formed = true
    #expect(MemberEngine.plan(s.observe(peers: [formedPeer, Scenario.fresh(2)])).isWait)
  }

  @Test("once the leader exists and every bootstrap member started, the formation is recorded")
  func formationRecorded() {
    let marker = Scenario.marker([0, 1, 2])
    let s = Scenario(me: 1)
    let o = s.observe(
      volume: VolumeState(
        hasEtcdData: true, notes: PilotNotes(marker: marker, memberID: "65", clusterID: "c1", served: true)),
      cluster: Scenario.healthy(3), etcd: Scenario.running(1))
    let plan = MemberEngine.plan(o)
    guard case .createRecord(let record)? = plan.first else {
      Issue.record("expected the formation to be recorded: \(plan)")
      return
    }
    #expect(record.token == marker.token)
    #expect(record.memberIDs == ["64", "65", "66"])
    #expect(plan.steps.last == .noteFormed(token: marker.token))
  }

  @Test(
    "members of the initial cluster carry their names before they start: only client URLs prove a start; a quorum started forms the cluster"
  )
  func namedButUnstarted() {
    let marker = Scenario.marker([0, 1, 2])
    var late = Scenario.member(2, started: false)
    late.name = Scenario.name(2)
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1), late])
    let leader = Scenario(me: 0)
    let notes = VolumeState(hasEtcdData: true, notes: PilotNotes(marker: marker, memberID: "64"))
    let plan = MemberEngine.plan(leader.observe(volume: notes, cluster: cluster, etcd: Scenario.running(0)))
    // Two of the three started, and a leader exists: the cluster formed, and may have
    // acknowledged writes (issue 12: recording only once all had started let it be abandoned).
    #expect(plan.steps.contains { if case .createRecord = $0 { true } else { false } }, "\(plan)")
    #expect(plan.reason.kind == .formed, "\(plan)")
    #expect(plan.reason.text.contains("2 of its 3 bootstrap members started"), "\(plan.reason)")
    // One of three started is no quorum: nothing formed yet.
    let alone = Scenario.cluster([Scenario.member(0), Scenario.member(1, started: false), late])
    let early = MemberEngine.plan(leader.observe(volume: notes, cluster: alone, etcd: Scenario.running(0)))
    #expect(!early.steps.contains { if case .createRecord = $0 { true } else { false } }, "\(early)")
    // The late pod adopts the marker instead of replacing its own listed entry.
    var peer = Scenario.fresh(0)
    peer.fresh = false
    peer.marker = marker
    let lateStart = MemberEngine.plan(Scenario(me: 2).observe(cluster: cluster, peers: [peer]))
    #expect(
      lateStart.steps.contains(
        .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token))))
  }

  /// Pods arrive in any order, some late; each observes what has arrived and acts. The bootstrap
  /// must always complete with one marker: no deadlock, no split.
  @Test("the bootstrap cannot deadlock when pods arrive in any order", arguments: 0..<300)
  func arrivalOrders(seed: Int) {
    var rng = SplitMix(seed: UInt64(seed))
    let size = Int.random(in: 1...5, using: &rng)
    var arrival = (0..<size).map { _ in Int.random(in: 0...20, using: &rng) }
    arrival[Int.random(in: 0..<size, using: &rng)] = Int.random(in: 0...60, using: &rng)
    var notes = [PilotNotes](repeating: PilotNotes(), count: size)
    var started = [Bool](repeating: false, count: size)
    var tick = 0
    while started.contains(false), tick < 500 {
      tick += 1
      let present = (0..<size).filter { arrival[$0] <= tick }
      guard let ordinal = present.randomElement(using: &rng) else { continue }
      let reports = present.filter { $0 != ordinal }.map { peer in
        PeerReport(
          name: Scenario.name(peer), ordinal: peer, uid: "uid-\(peer)", statefulSet: "etcd", namespace: "default",
          fresh: notes[peer].marker == nil && !started[peer], marker: notes[peer].marker)
      }
      // The cluster answers with quorum once a majority of the marker's members started.
      var cluster: ClusterView?
      if let marker = notes.compactMap(\.marker).first {
        let members = marker.members.map { Scenario.member($0.ordinal, started: started[$0.ordinal]) }
        if members.filter(\.isStarted).count >= marker.members.count / 2 + 1 {
          cluster = Scenario.cluster(members, leader: members.first(where: \.isStarted).map { Int($0.id) - 100 })
        }
      }
      let s = Scenario(pods: size, me: ordinal)
      let o = s.observe(
        volume: VolumeState(hasEtcdData: started[ordinal], notes: notes[ordinal]), cluster: cluster, peers: reports,
        etcd: .stopped, now: Double(1000 + tick))
      for step in MemberEngine.plan(o).steps {
        switch step {
        case .writeMarker(let marker): notes[ordinal].marker = marker
        case .startEtcd: started[ordinal] = true
        case .wait: break
        default: Issue.record("unexpected step \(step) during bootstrap (seed \(seed))")
        }
      }
    }
    #expect(!started.contains(false), "bootstrap did not complete (seed \(seed), arrivals \(arrival))")
    #expect(Set(notes.compactMap { $0.marker?.token }).count == 1, "more than one marker (seed \(seed))")
    #expect(notes.allSatisfy { $0.marker?.members.count == size })
  }
}

/// A small seeded generator so every case replays.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
