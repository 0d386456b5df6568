import Membership
import Testing

/// A join needs room; a volume that lacks it is never filled half-way (issue 12, finding 3).
@Suite("Engine: space for a join")
struct SpaceTests {
  static let mib: Int64 = 1 << 20

  static func joining(free: Int64, db: Int64, aside: [AsideCopy]) -> Observation {
    var o = Scenario(me: 2).observe(
      volume: VolumeState(
        hasEtcdData: false, notes: PilotNotes(formed: true, clusterID: "c1"), aside: aside, freeBytes: free),
      record: .present(Scenario.record), cluster: Scenario.healthy(2), holdsLock: true)
    o.largestDBSize = db
    return o
  }

  @Test("what a join needs: the snapshot of the largest database and a tenth, two 64 MiB WAL segments, 32 MiB")
  func needed() {
    #expect(
      JoinDecision.spaceNeeded(largestDBSize: 100 * Self.mib) == 100 * Self.mib + 10 * Self.mib + 128 * Self.mib + 32
        * Self.mib)
  }

  @Test("short of space: redundant aside copies go, oldest first, just enough; then the join")
  func reclaimsRedundant() {
    let aside = [
      AsideCopy(name: "20261201T000000Z-scaled-down", bytes: 150 * Self.mib, redundant: true),
      AsideCopy(name: "20261202T000000Z-abandoned", bytes: 400 * Self.mib, redundant: false),
      AsideCopy(name: "20261203T000000Z-removed", bytes: 150 * Self.mib, redundant: true),
    ]
    let plan = MemberEngine.plan(Self.joining(free: 150 * Self.mib, db: 64 * Self.mib, aside: aside))
    // Deleting copies is no membership change: the lock goes first (``LockRule``).
    #expect(plan.steps == [.releaseLock, .deleteAsideCopies(["20261201T000000Z-scaled-down"])], "\(plan)")
    let more = MemberEngine.plan(Self.joining(free: 10 * Self.mib, db: 64 * Self.mib, aside: aside))
    #expect(
      more.steps == [.releaseLock, .deleteAsideCopies(["20261201T000000Z-scaled-down", "20261203T000000Z-removed"])],
      "\(more)")
    let enough = MemberEngine.plan(Self.joining(free: 300 * Self.mib, db: 64 * Self.mib, aside: aside))
    #expect(enough.steps == [.addLearner], "\(enough)")
  }

  @Test(
    "short of space with only copies that may hold data no member has: waits, releases the lock, and says what to do")
  func refusesOtherwise() {
    let aside = [AsideCopy(name: "20261202T000000Z-abandoned", bytes: 400 * Self.mib, redundant: false)]
    let plan = MemberEngine.plan(Self.joining(free: 100 * Self.mib, db: 64 * Self.mib, aside: aside))
    #expect(plan.steps == [.releaseLock, .wait])
    #expect(plan.reason.kind == .notEnoughSpace, "\(plan)")
    #expect(plan.reason.text.contains("not enough free space to join: joining needs 230 MiB free"), "\(plan.reason)")
    #expect(
      plan.reason.text.contains("20261202T000000Z-abandoned may hold data no member has: copy them off the volume"),
      "\(plan.reason)")
    let none = MemberEngine.plan(Self.joining(free: 100 * Self.mib, db: 64 * Self.mib, aside: []))
    #expect(none.reason.text.hasSuffix("give the volume more space"), "\(none.reason)")
  }

  @Test("a step that keeps failing backs off: 0.25 s doubling to 30 s; a success resets it")
  func backoff() {
    var engine = MemberEngine()
    #expect(engine.retryDelay == 0)
    var delays: [Double] = []
    for _ in 0..<10 {
      engine.completed(.moveDataAside(reason: "x", redundant: true), .failed("No space left on device"))
      delays.append(engine.retryDelay)
    }
    #expect(delays == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30])
    engine.completed(.moveDataAside(reason: "x", redundant: true), .done)
    #expect(engine.retryDelay == 0)
  }

  @Test("a leaving leader whose handoff keeps failing asks for its own removal after three tries")
  func handoffGivesUp() {
    var engine = MemberEngine()
    let s = Scenario(pods: 5, desired: 3, me: 4)
    let cluster = Scenario.healthy(5, leader: 4)
    let o = s.observe(cluster: cluster, etcd: Scenario.running(4), holdsLock: true, stopping: true)
    for _ in 0..<3 {
      let plan = engine.plan(o)
      // A handoff is no membership change: the lock is released first (``LockRule``).
      #expect(plan.first == .releaseLock, "\(plan)")
      guard case .moveLeader(let target)? = plan.steps.last else {
        Issue.record("expected a handoff: \(plan)")
        return
      }
      engine.completed(.moveLeader(to: target), .handoff(succeeded: false))
    }
    #expect(engine.plan(o).steps == [.removeMember(memberID: Scenario.id(4), name: "etcd-4"), .releaseLock])
  }
}
