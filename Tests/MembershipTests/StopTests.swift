import Membership
import Testing

@Suite("Engine: stop and scale-down")
struct StopTests {
  @Test("a leaving leader hands leadership to the most up-to-date desired voter first")
  func leavingLeaderHandsOff() {
    let s = Scenario(pods: 5, desired: 3, me: 4)
    var members = (0..<5).map { Scenario.member($0, index: UInt64(1000 + $0)) }
    members[2].raftIndex = 5000
    let plan = MemberEngine.plan(
      s.observe(cluster: Scenario.cluster(members, leader: 4), etcd: Scenario.running(4), stopping: true))
    #expect(plan.steps == [.moveLeader(to: Scenario.id(2))])
  }

  @Test("a leaving follower asks for its own removal under the lock, and keeps etcd running")
  func leavingFollowerRemovesItself() {
    let s = Scenario(pods: 5, desired: 3, me: 4)
    let cluster = Scenario.healthy(5)
    #expect(
      MemberEngine.plan(s.observe(cluster: cluster, etcd: Scenario.running(4), stopping: true)).steps == [.acquireLock])
    let plan = MemberEngine.plan(
      s.observe(cluster: cluster, etcd: Scenario.running(4), holdsLock: true, stopping: true))
    #expect(plan.steps == [.removeMember(memberID: Scenario.id(4), name: "etcd-4"), .releaseLock])
    #expect(!plan.steps.contains(.stopEtcd))
  }

  @Test("once removed and etcd has exited, the leaving pod moves its data aside")
  func dataAsideAfterRemoval() {
    let s = Scenario(pods: 5, desired: 3, me: 4)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "68", clusterID: "c1"))
    let plan = MemberEngine.plan(
      s.observe(volume: volume, cluster: Scenario.healthy(4), etcd: .exited(.removed), stopping: true))
    #expect(plan.steps == [.moveDataAside(reason: "scaled down: member removed", redundant: true)])
    // Without a quorum to confirm the removal, the data stays and the pilot waits for one.
    let unconfirmed = MemberEngine.plan(
      s.observe(volume: volume, cluster: nil, etcd: .exited(.removed), stopping: true))
    #expect(unconfirmed.isWait)
    #expect(!unconfirmed.steps.contains { if case .moveDataAside = $0 { true } else { false } })
    // A list that still shows this member (taken before etcd applied its removal and exited)
    // neither moves the data nor ends the pilot: it looks again.
    let stale = MemberEngine.plan(
      s.observe(volume: volume, cluster: Scenario.healthy(5), etcd: .exited(.removed), stopping: true))
    #expect(stale.isWait, "\(stale)")
    #expect(!stale.steps.contains { if case .moveDataAside = $0 { true } else { false } })
  }

  @Test("if quorum forbids the removal, etcd keeps running and the pilot says why")
  func quorumForbidsLeaving() {
    let s = Scenario(pods: 3, desired: 1, me: 2)
    var members = (0..<3).map { Scenario.member($0) }
    members[1].isAlive = false
    let plan = MemberEngine.plan(
      s.observe(cluster: Scenario.cluster(members), etcd: Scenario.running(2), holdsLock: true, stopping: true))
    #expect(plan.isWait)
    #expect(plan.reason.kind == .leavingLosesQuorum, "\(plan)")
    #expect(!plan.steps.contains(.stopEtcd))
  }

  @Test("a desired pod that stops hands leadership away and stops etcd, keeping the data")
  func desiredPodStops() {
    let s = Scenario(me: 0)
    let plan = MemberEngine.plan(s.observe(cluster: Scenario.healthy(3), etcd: Scenario.running(0), stopping: true))
    #expect(plan.steps.first.map { if case .moveLeader = $0 { true } else { false } } == true)
    #expect(plan.steps.last == .stopEtcd)
    let follower = Scenario(me: 1)
    #expect(
      MemberEngine.plan(follower.observe(cluster: Scenario.healthy(3), etcd: Scenario.running(1), stopping: true)).steps
        == [.stopEtcd])
  }

  @Test("with the handoff turned off (benchmarks), a stopping leader just stops etcd")
  func handoffOff() {
    let s = Scenario(me: 0)
    var observation = s.observe(cluster: Scenario.healthy(3), etcd: Scenario.running(0), stopping: true)
    observation.settings.handsOffLeadership = false
    #expect(MemberEngine.plan(observation).steps == [.stopEtcd])
  }

  @Test("scaling to 0, a deleted StatefulSet or an unreachable API is a pause: nothing removed, data kept")
  func pause() {
    for reason in ["the StatefulSet wants 0 replicas", "the StatefulSet is being deleted", "the API is unreachable"] {
      var s = Scenario(me: 2)
      s.desired = .paused(reason: reason)
      let plan = MemberEngine.plan(
        s.observe(cluster: Scenario.healthy(3), etcd: Scenario.running(2), holdsLock: true, stopping: true))
      #expect(plan.steps == [.releaseLock, .stopEtcd])
      #expect(!plan.changesMembership)
    }
  }

  @Test("stopped with etcd not running: done, nothing moved")
  func alreadyStopped() {
    let s = Scenario(me: 1)
    #expect(MemberEngine.plan(s.observe(etcd: .stopped, stopping: true)).steps.isEmpty)
  }
}

@Suite("Engine: running, exits, reconciler")
struct RunningTests {
  @Test("the joiner promotes its own learner only when alive, up long enough and caught up")
  func promotion() {
    let s = Scenario(pods: 4, me: 3)
    var members = (0..<3).map { Scenario.member($0, index: 5000) }
    members.append(Scenario.member(3, learner: true, index: 4990))
    let cluster = Scenario.cluster(members)
    let notes = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: false, memberID: "67"))
    #expect(
      MemberEngine.plan(
        s.observe(
          volume: notes, record: .present(Scenario.record), cluster: cluster, etcd: Scenario.running(3, up: 0.5))
      ).isWait)
    #expect(
      MemberEngine.plan(
        s.observe(volume: notes, record: .present(Scenario.record), cluster: cluster, etcd: Scenario.running(3))
      ).steps == [.acquireLock])
    #expect(
      MemberEngine.plan(
        s.observe(
          volume: notes, record: .present(Scenario.record), cluster: cluster, etcd: Scenario.running(3), holdsLock: true
        )
      ).steps
        == [.promote(memberID: Scenario.id(3)), .releaseLock])
    var behind = members
    behind[3].raftIndex = 100
    let lagging = MemberEngine.plan(
      s.observe(
        volume: notes, record: .present(Scenario.record), cluster: Scenario.cluster(behind), etcd: Scenario.running(3),
        holdsLock: true))
    #expect(lagging.isWait)
    #expect(lagging.reason.kind == .learnerBehind, "\(lagging)")
  }

  @Test("with auth, a caught-up learner's etcd is restarted once before its promotion (etcd issue 13134)")
  func learnerRestartWithAuth() {
    let s = Scenario(pods: 4, me: 3)
    var members = (0..<3).map { Scenario.member($0, index: 5000) }
    members.append(Scenario.member(3, learner: true, index: 5000))
    let notes = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: false, memberID: "67"))
    var observation = s.observe(
      volume: notes, record: .present(Scenario.record), cluster: Scenario.cluster(members), etcd: Scenario.running(3))
    observation.restartLearnerBeforePromotion = true
    let restart = MemberEngine.plan(observation)
    #expect(restart.steps == [.restartLearnerForAuth])
    #expect(restart.reason.kind == .restartingLearnerForAuth, "\(restart)")
    #expect(restart.reason.text.contains("13134"))
    // Still behind: it catches up first.
    members[3].raftIndex = 100
    observation.cluster = Scenario.cluster(members)
    #expect(MemberEngine.plan(observation).isWait)
    // Restarted: on to the promotion.
    members[3].raftIndex = 5000
    observation.cluster = Scenario.cluster(members)
    observation.restartLearnerBeforePromotion = false
    #expect(MemberEngine.plan(observation).steps == [.acquireLock])
  }

  @Test("etcd refusing every fresh auth token (found by verify seed 20261128): restart it if the others keep quorum")
  func tokenProviderOff() {
    let s = Scenario(me: 1)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "65"))
    var observation = s.observe(
      volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(3), etcd: Scenario.running(1))
    observation.ownRejectsTokens = true
    let restart = MemberEngine.plan(observation)
    #expect(restart.steps == [.stopEtcd])
    #expect(restart.reason.kind == .restartingForTokens, "\(restart)")
    #expect(restart.reason.text.contains("13134"))
    observation.holdsLock = true
    #expect(MemberEngine.plan(observation).steps == [.releaseLock, .stopEtcd])
    // With another voter down, stopping this one would lose quorum: wait, and say so.
    var degraded = Scenario.healthy(3)
    degraded.members[2].isAlive = false
    observation = s.observe(
      volume: volume, record: .present(Scenario.record), cluster: degraded, etcd: Scenario.running(1))
    observation.ownRejectsTokens = true
    let wait = MemberEngine.plan(observation)
    #expect(wait.isWait && !wait.steps.contains(.stopEtcd))
    #expect(wait.reason.kind == .tokenRestartLosesQuorum, "\(wait)")
  }

  @Test(
    "corrupt data with quorum elsewhere: data aside (then the join removes the old entry); without quorum: keep everything"
  )
  func corruptData() {
    let s = Scenario(me: 1)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "65"))
    var cluster = Scenario.healthy(3)
    cluster.members[1].isAlive = false
    let replace = MemberEngine.plan(
      s.observe(
        volume: volume, record: .present(Scenario.record), cluster: cluster,
        etcd: .exited(.corruptData("tocommit(9) is out of range"))))
    #expect(replace.steps.first.map { if case .moveDataAside = $0 { true } else { false } } == true)
    let keep = MemberEngine.plan(
      s.observe(
        volume: volume, record: .present(Scenario.record), cluster: nil, etcd: .exited(.corruptData("crc mismatch"))))
    #expect(keep.isWait)
    #expect(keep.reason.kind == .corruptNoQuorum, "\(keep)")
    #expect(keep.reason.text.contains("keeping every byte"))
  }

  @Test("an unknown crash restarts etcd from its data, like a kubelet")
  func crashRestarts() {
    let s = Scenario(me: 1)
    let plan = MemberEngine.plan(
      s.observe(
        volume: VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true)), record: .present(Scenario.record),
        cluster: Scenario.healthy(3), etcd: .exited(.crashed("exit status 2"))))
    // After a backoff, as a kubelet backs off a crashing container (``MemoryTests/crashBackoff``).
    #expect(plan.steps == [.backOff(seconds: 1), .startEtcd(.fromData)])
  }

  @Test("'already bootstrapped' means the volume was lost: replace, don't stop")
  func alreadyBootstrapped() {
    let s = Scenario(me: 1)
    let plan = MemberEngine.plan(s.observe(volume: VolumeState(hasEtcdData: true), etcd: .exited(.alreadyBootstrapped)))
    #expect(plan.steps.first.map { if case .moveDataAside = $0 { true } else { false } } == true)
  }

  @Test("reconciler: unowned members whose pods are gone go dead first, then highest ordinal first")
  func reconcilerOrder() {
    let s = Scenario(pods: 5, desired: 1, me: 0)
    var members = (0..<5).map { Scenario.member($0) }
    members[2].isAlive = false
    let phases = (1..<5).map { PodPhase(ordinal: $0, state: .terminating) }
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "64"))
    let first = MemberEngine.plan(
      s.observe(
        volume: volume, cluster: Scenario.cluster(members), etcd: Scenario.running(0), holdsLock: true, phases: phases))
    #expect(first.steps == [.removeMember(memberID: Scenario.id(2), name: "etcd-2")])
    members.remove(at: 2)
    let second = MemberEngine.plan(
      s.observe(
        volume: volume, cluster: Scenario.cluster(members), etcd: Scenario.running(0), holdsLock: true, phases: phases))
    // 4 voters left, all alive: removing etcd-4 leaves 3 alive of 3.
    #expect(second.steps == [.removeMember(memberID: Scenario.id(4), name: "etcd-4")])
  }

  @Test("reconciler: a running pod above the count is left to leave by itself")
  func reconcilerLeavesRunningPods() {
    let s = Scenario(pods: 4, desired: 3, me: 0)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "64"))
    let plan = MemberEngine.plan(
      s.observe(
        volume: volume, cluster: Scenario.healthy(4), etcd: Scenario.running(0),
        phases: [PodPhase(ordinal: 3, state: .running)]))
    #expect(!plan.changesMembership)
    #expect(plan.steps != [.acquireLock])
  }

  @Test("reconciler: a dead learner is removed after 30 s, never promoted")
  func deadLearner() {
    let s = Scenario(pods: 4, me: 0)
    var members = (0..<3).map { Scenario.member($0) }
    members.append(Scenario.member(3, alive: false, learner: true))
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "64"))
    let early = MemberEngine.plan(
      s.observe(
        volume: volume, cluster: Scenario.cluster(members), etcd: Scenario.running(0), holdsLock: true,
        stalled: [Scenario.id(3): 5]))
    #expect(!early.changesMembership)
    let late = MemberEngine.plan(
      s.observe(
        volume: volume, cluster: Scenario.cluster(members), etcd: Scenario.running(0), holdsLock: true,
        stalled: [Scenario.id(3): 31]))
    #expect(late.steps == [.removeMember(memberID: Scenario.id(3), name: "etcd-3")])
  }

  @Test("etcd's exit is classified from its fatal lines only")
  func exitClassification() {
    let removed = EtcdExit.classify(
      lines: [
        #"{"level":"warn","msg":"server error","error":"the member has been permanently removed from the cluster"}"#
      ],
      exitCode: 0, signal: nil)
    #expect(removed == .removed)
    let corrupt = EtcdExit.classify(
      lines: [
        #"{"level":"panic","msg":"tocommit(12) is out of range [lastIndex(3)]. Was the raft log corrupted, truncated, or lost?"}"#
      ],
      exitCode: 2, signal: nil)
    #expect(
      corrupt
        == .corruptData("tocommit(12) is out of range [lastIndex(3)]. Was the raft log corrupted, truncated, or lost?"))
    let warningOnly = EtcdExit.classify(
      lines: [#"{"level":"warn","msg":"lost TCP streaming connection","error":"unexpected EOF"}"#], exitCode: 1,
      signal: nil)
    #expect(warningOnly == .crashed("exit status 1: lost TCP streaming connection: unexpected EOF"))
    // The initial corruption check refusing a start is a crash (restarted with backoff), never
    // corrupt data: which member is wrong is the consistency check's quorum vote to decide.
    let inconsistent = EtcdExit.classify(
      lines: [
        #"{"level":"fatal","msg":"failed to start","error":"8e9e05c52164694d found data inconsistency with peers"}"#
      ],
      exitCode: 1, signal: nil)
    let crashed: Bool = if case .crashed = inconsistent { true } else { false }
    #expect(crashed, "\(inconsistent)")
    let bootstrapped = EtcdExit.classify(
      lines: [
        #"{"level":"fatal","msg":"discovery failed","error":"member 8e9e05c52164694d has already been bootstrapped"}"#
      ],
      exitCode: 1, signal: nil)
    #expect(bootstrapped == .alreadyBootstrapped)
    // A WAL record whose length was damaged: seen when a test flipped bytes in a segment.
    let damagedLength = EtcdExit.classify(
      lines: [#"{"level":"fatal","msg":"discovery failed","error":"wal: max entry size limit exceeded"}"#],
      exitCode: 1, signal: nil)
    #expect(damagedLength == .corruptData("discovery failed: wal: max entry size limit exceeded"))
  }
}
