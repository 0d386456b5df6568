import Membership
import PropertyBased
import Testing

/// The engine's safety rules, checked on many random observations.
@Suite("Engine: properties")
struct EnginePropertyTests {
  private func check(_ body: @escaping @Sendable (Observation, Plan) -> Void) async {
    await propertyCheck(count: 20000, input: Gen.int(in: 0...Int.max)) { seed in
      let observation = RandomObservation.make(seed: UInt64(seed))
      body(observation, MemberEngine.plan(observation))
    }
  }

  @Test("no plan removes a member when the rest would lose quorum")
  func quorumKept() async {
    await check { o, plan in
      for case .removeMember(let id, _) in plan.steps {
        guard let cluster = o.cluster, let member = cluster.member(id) else {
          Issue.record("removes \(id), which the observation does not list")
          continue
        }
        let remaining = cluster.voters.filter { $0.id != id }
        #expect(!remaining.isEmpty, "removes the last member")
        if member.isVoter {
          let alive = remaining.filter { $0.isAlive && $0.isStarted }.count
          #expect(
            alive >= remaining.count / 2 + 1,
            "removing \(member.label) leaves \(alive) of \(remaining.count) voters alive")
        }
      }
    }
  }

  @Test("a voter owned by a desired pod is removed for its data only when a quorum of voters agrees on another hash")
  func divergenceNeedsAQuorum() async {
    await check { o, plan in
      for case .removeMember(let id, _) in plan.steps where plan.reason.kind == .removingDiverged {
        guard let cluster = o.cluster, let reading = o.consistency, let own = reading.hashes[id] else {
          Issue.record("\(plan) without a reading of that member")
          continue
        }
        let others = cluster.voters.filter { voter in
          reading.hashes[voter.id].map { $0.hash != own.hash && $0.compactRevision == own.compactRevision } ?? false
        }
        let largest = Dictionary(grouping: others, by: { reading.hashes[$0.id]!.hash }).values.map(\.count).max() ?? 0
        #expect(
          largest >= cluster.voters.count / 2 + 1, "\(plan): only \(largest) of \(cluster.voters.count) voters agree")
      }
    }
  }

  @Test("no membership change without the membership lock, and at most one per plan")
  func lockHeld() async {
    await check { o, plan in
      let changes = plan.steps.filter(\.changesMembership)
      if !changes.isEmpty { #expect(o.holdsLock, "\(plan) without the lock") }
      #expect(changes.count <= 1, "\(plan) makes more than one change")
    }
  }

  @Test(
    "a pod holding the membership lock changes the membership or releases the lock; a pod without it never releases")
  func lockOnlyForChanges() async {
    await check { o, plan in
      let releases = plan.steps.contains(.releaseLock)
      if o.holdsLock, !plan.steps.isEmpty {
        #expect(plan.steps.contains(where: \.needsLock) || releases, "holds the lock and only \(plan)")
        #expect(!plan.steps.contains(.acquireLock), "acquires the lock it holds: \(plan)")
      }
      if !o.holdsLock { #expect(!releases, "releases a lock it does not hold: \(plan)") }
      if let release = plan.steps.firstIndex(of: .releaseLock),
        let change = plan.steps.firstIndex(where: \.changesMembership)
      {
        #expect(change < release, "releases the lock before its change: \(plan)")
      }
    }
  }

  @Test(
    "a defragmentation: one member, under the lock, never this pod's own, only while every voter is up and no learner joins"
  )
  func defragmentation() async {
    await check { o, plan in
      let defrags = plan.steps.compactMap { step -> UInt64? in if case .defragment(let id) = step { id } else { nil } }
      guard let id = defrags.first else { return }
      #expect(defrags.count == 1, "\(plan)")
      let recovering = o.space?.noSpace == true && o.noSpaceCompactedAt != nil
      // NOSPACE refuses the lock's write: only then without it.
      #expect(o.holdsLock || recovering, "defragments without the lock: \(plan)")
      // Its own member only alone, or in NOSPACE (writes fail anyway) after the compaction.
      #expect(id != o.myMemberID || o.cluster?.voters.count == 1 || recovering, "defragments its own member: \(plan)")
      guard let cluster = o.cluster else {
        Issue.record("defragments without a cluster: \(plan)")
        return
      }
      #expect(cluster.voters.allSatisfy { $0.isAlive && $0.isStarted } && cluster.learners.isEmpty, "\(plan)")
      #expect(o.desired.count.map { $0 > 0 } == true, "defragments while paused: \(plan)")
    }
  }

  @Test("NOSPACE is disarmed only when every voter's database is under the quota by the margin")
  func disarm() async {
    await check { o, plan in
      guard plan.steps.contains(.disarmNoSpace) else { return }
      guard let reading = o.space, let cluster = o.cluster else {
        Issue.record("disarms without a reading: \(plan)")
        return
      }
      for voter in cluster.voters {
        guard let size = reading.members[voter.id]?.dbSize else {
          Issue.record("disarms without a reading of \(voter.label): \(plan)")
          continue
        }
        #expect(
          Double(size) <= Double(o.settings.quotaBytes) * (1 - o.settings.noSpaceMargin), "\(voter.label): \(plan)")
      }
    }
  }

  @Test("data of a member that is still listed is never deleted, and moved aside only when etcd cannot use it")
  func listedDataKept() async {
    await check { o, plan in
      let listed = o.myMemberID.flatMap { o.cluster?.member($0) } != nil
      for step in plan.steps {
        switch step {
        case .deleteAsideCopies(let names):
          // Only redundant copies, only to make room for a join.
          let redundant = Set(o.volume.aside.filter(\.redundant).map(\.name))
          #expect(Set(names).isSubset(of: redundant), "deletes an aside copy that may hold data no member has: \(plan)")
          #expect(!o.volume.hasEtcdData && o.cluster != nil, "deletes aside copies outside a join: \(plan)")
        case .moveDataAside:
          if listed, !o.stopping {
            var allowed = false
            if case .exited(.corruptData) = o.etcd { allowed = true }
            if case .exited(.alreadyBootstrapped) = o.etcd { allowed = true }
            if o.volume.notes.marker != nil, !o.volume.notes.formed { allowed = true }
            // A backend without a WAL: etcd cannot start from it either.
            if o.volume.hasPartialData, !o.volume.hasEtcdData { allowed = true }
            #expect(allowed, "moves aside the data of listed member \(o.myMemberID!): \(plan)")
          }
        default: break
        }
      }
    }
  }

  @Test("an empty data directory never takes over a listed member ID")
  func noTakeover() async {
    await check { o, plan in
      guard !o.volume.hasEtcdData else { return }
      for case .startEtcd(let start) in plan.steps {
        // etcd `existing` on an empty directory would take the listed ID: never planned.
        #expect(start.state == .new, "starts etcd existing on an empty volume: \(plan)")
        // The one exception: a bootstrap member whose entry is still unstarted in the formed
        // cluster starts `new` as that very member (``BootstrapDecision/lateMember(_:)``).
        #expect(
          !o.record.exists || plan.reason.kind == .startingAsLateMember,
          "starts etcd new while the cluster record exists: \(plan)")
        if let cluster = o.cluster {
          let overStarted = cluster.entries(of: o.me).contains { $0.isStarted }
          #expect(!overStarted, "new etcd over a started entry: \(plan)")
        }
      }
    }
  }

  @Test("a learner is promoted only when alive")
  func promoteAlive() async {
    await check { o, plan in
      for case .promote(let id) in plan.steps {
        let member = o.cluster?.member(id)
        #expect(member?.isLearner == true && member?.isAlive == true, "promotes \(id): \(String(describing: member))")
      }
    }
  }

  @Test("nothing is removed while desired replicas is 0 or paused")
  func pauseRemovesNothing() async {
    await check { o, plan in
      guard (o.desired.count ?? 0) == 0 else { return }
      #expect(!plan.steps.contains { if case .removeMember = $0 { true } else { false } }, "\(plan) while paused")
    }
  }

  @Test("etcd starts `new` only inside a proven-fresh bootstrap and never while a cluster record exists")
  func newOnlyInBootstrap() async {
    await check { o, plan in
      for case .startEtcd(let start) in plan.steps where start.state == .new {
        #expect(!o.record.exists, "new while the record exists: \(plan)")
        let peerFormed = o.peers.contains { $0.formed }
        #expect(!o.volume.notes.formed && !peerFormed, "new after formation: \(plan)")
        let proposed = plan.steps.contains {
          if case .writeMarker(let m) = $0 { m.token == o.proposalToken } else { false }
        }
        if proposed {
          #expect(
            o.me.ordinal == 0 && o.volume.isFresh, "proposal by a pod that is not ordinal 0 or not fresh: \(plan)")
          let desired = o.desired.count ?? 0
          for ordinal in 1..<max(desired, 1) {
            // A pod may be left out only when the platform does not run it, for long enough.
            let leftOut =
              [.pending, .absent].contains(o.phase(ofOrdinal: ordinal))
              && (o.secondsWaitingForAbsentPods ?? 0) >= o.settings.absentPodTimeout
            #expect(
              o.peers.contains { $0.ordinal == ordinal && $0.fresh } || leftOut,
              "proposal without etcd-\(ordinal) fresh")
          }
        } else {
          let markers = [o.volume.notes.marker].compactMap { $0 } + o.peers.compactMap(\.marker)
          #expect(markers.contains { $0.token == start.token && $0.includes(o.me) }, "new without a marker: \(plan)")
        }
      }
    }
  }
}
