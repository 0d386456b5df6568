import Membership
import Testing

/// DESIGN.md's start table, row by row, plus the bootstrap rules.
@Suite("Engine: start")
struct StartTableTests {
  @Test("has data, its ID listed: start etcd from the data at once")
  func dataListed() {
    let s = Scenario(me: 1)
    let plan = MemberEngine.plan(
      s.observe(
        volume: VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "65")),
        record: .present(Scenario.record), cluster: Scenario.healthy(3)))
    #expect(plan.steps == [.startEtcd(.fromData)])
  }

  @Test("has data, no cluster, no API: still starts at once")
  func dataWithoutAnything() {
    var s = Scenario(me: 2)
    s.desired = .paused(reason: "the Kubernetes API is unreachable")
    let plan = MemberEngine.plan(s.observe(volume: VolumeState(hasEtcdData: true), record: .unknown))
    #expect(plan.steps == [.startEtcd(.fromData)])
  }

  @Test("has data, removed from the cluster: etcd says so, the data goes aside, then it joins as a new learner")
  func dataRemoved() {
    let s = Scenario(me: 2)
    let cluster = Scenario.healthy(2)
    var o = s.observe(
      volume: VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "66")),
      record: .present(Scenario.record), cluster: cluster, etcd: .exited(.removed))
    #expect(MemberEngine.plan(o).steps == [.moveDataAside(reason: "member removed from the cluster", redundant: true)])
    // Next observation: data gone, not listed, quorum: join.
    o.volume = VolumeState(hasEtcdData: false, notes: PilotNotes(formed: true))
    o.etcd = .stopped
    #expect(MemberEngine.plan(o).steps == [.acquireLock])
    o.holdsLock = true
    #expect(MemberEngine.plan(o).steps == [.addLearner])
  }

  @Test("empty, no quorum, no record: bootstrap protocol; with a record: wait and say why")
  func emptyNoQuorum() {
    let s = Scenario(me: 1)
    let bootstrap = MemberEngine.plan(s.observe())
    #expect(bootstrap.isWait)
    #expect(bootstrap.reason.kind == .waitingForProposal, "\(bootstrap)")
    #expect(bootstrap.reason.text.contains("etcd-0 to propose"))
    let formed = MemberEngine.plan(s.observe(record: .present(Scenario.record)))
    #expect(formed.isWait)
    #expect(formed.reason.kind == .recordExistsNoQuorum, "\(formed)")
  }

  @Test("empty, quorum, name or URL listed: that entry is removed, then the pod joins as a new learner")
  func emptyListed() {
    let s = Scenario(me: 2)
    var cluster = Scenario.healthy(3)
    cluster.members[2].isAlive = false
    let o = s.observe(record: .present(Scenario.record), cluster: cluster, holdsLock: true)
    #expect(MemberEngine.plan(o).steps == [.removeMember(memberID: Scenario.id(2), name: "etcd-2")])
    let locked = s.observe(record: .present(Scenario.record), cluster: cluster)
    #expect(MemberEngine.plan(locked).steps == [.acquireLock])
  }

  @Test("a joiner that removed its earlier entry and then lost the Kubernetes API waits without the lock")
  func pausedJoinerReleasesTheLock() {
    var s = Scenario(pods: 4, me: 3)
    s.desired = .paused(reason: "the Kubernetes API is unreachable")
    let o = s.observe(record: .present(Scenario.record), cluster: Scenario.healthy(3), holdsLock: true)
    let plan = MemberEngine.plan(o)
    #expect(plan.steps == [.releaseLock, .wait])
    #expect(plan.reason.kind == .pausedNoData, "\(plan)")
  }

  @Test("empty, quorum, listed only by URL (added but never started): removed and re-added, never taken over")
  func emptyListedUnstarted() {
    var members = (0..<3).map { Scenario.member($0) }
    members.append(Scenario.member(3, learner: true, started: false))
    let o = Scenario(pods: 4, me: 3).observe(
      record: .present(Scenario.record), cluster: Scenario.cluster(members), holdsLock: true)
    #expect(MemberEngine.plan(o).steps == [.removeMember(memberID: Scenario.id(3), name: Scenario.peerURL(3))])
  }

  @Test("empty, quorum, not listed: joins as a learner")
  func emptyNotListed() {
    let s = Scenario(pods: 4, me: 3)
    let o = s.observe(record: .present(Scenario.record), cluster: Scenario.healthy(3), holdsLock: true)
    #expect(MemberEngine.plan(o).steps == [.addLearner])
  }

  @Test("a down voter owned by a desired pod blocks the add, and the plan says so")
  func downVoterBlocks() {
    let s = Scenario(pods: 4, me: 3)
    var cluster = Scenario.healthy(3)
    cluster.members[1].isAlive = false
    let plan = MemberEngine.plan(s.observe(record: .present(Scenario.record), cluster: cluster, holdsLock: true))
    #expect(plan.isWait)
    #expect(plan.reason.kind == .downVoterBlocksAdd, "\(plan)")
    #expect(plan.reason.text.contains("add blocked by down voter etcd-1"))
  }

  @Test("a dead voter no desired pod owns is removed before the add")
  func unownedDeadRemovedFirst() {
    let s = Scenario(pods: 5, desired: 4, me: 3)
    var members = (0..<3).map { Scenario.member($0) }
    members.append(Scenario.member(4, alive: false))
    let plan = MemberEngine.plan(
      s.observe(record: .present(Scenario.record), cluster: Scenario.cluster(members), holdsLock: true))
    #expect(plan.steps == [.removeMember(memberID: Scenario.id(4), name: "etcd-4")])
  }

  @Test("one learner at a time: a second joiner waits")
  func oneLearnerAtATime() {
    let s = Scenario(pods: 5, me: 4)
    var members = (0..<3).map { Scenario.member($0) }
    members.append(Scenario.member(3, learner: true))
    let plan = MemberEngine.plan(
      s.observe(record: .present(Scenario.record), cluster: Scenario.cluster(members), holdsLock: true))
    #expect(plan.isWait)
    #expect(plan.reason.kind == .learnerJoining, "\(plan)")
    // It lets go of the lock while it waits: the learner it waits for needs it to be promoted.
    #expect(plan.steps == [.releaseLock, .wait])
    let withoutLock = MemberEngine.plan(
      s.observe(record: .present(Scenario.record), cluster: Scenario.cluster(members), holdsLock: false))
    #expect(withoutLock.steps == [.wait], "a joiner that would only wait does not take the lock")
  }

  @Test("not enough free space to join: waits and says how much is needed")
  func freeSpace() {
    let s = Scenario(pods: 4, me: 3)
    var o = s.observe(record: .present(Scenario.record), cluster: Scenario.healthy(3), holdsLock: true)
    o.volume.freeBytes = 1000
    o.largestDBSize = 800
    let plan = MemberEngine.plan(o)
    #expect(plan.isWait)
    #expect(plan.reason.kind == .notEnoughSpace, "\(plan)")
  }

  @Test("a pod above the desired count does not start")
  func aboveDesired() {
    let s = Scenario(pods: 4, desired: 3, me: 3)
    let plan = MemberEngine.plan(s.observe(volume: VolumeState(hasEtcdData: true), cluster: Scenario.healthy(3)))
    #expect(plan.isWait)
    #expect(plan.reason.kind == .aboveDesired, "\(plan)")
  }

  @Test("data of another cluster stops the pilot with the reason and touches nothing")
  func otherClusterData() {
    let s = Scenario(me: 1)
    let plan = MemberEngine.plan(
      s.observe(
        volume: VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, token: "t-old")),
        record: .present(Scenario.record)))
    guard case .fail(let message)? = plan.first else {
      Issue.record("expected a failure, got \(plan)")
      return
    }
    #expect(message.contains("another cluster"))
    #expect(!plan.steps.contains { if case .moveDataAside = $0 { true } else { false } })
  }
}
