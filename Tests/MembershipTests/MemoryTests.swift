import Membership
import Testing

/// What the engine remembers across observations, in sequences of plans and step outcomes.
@Suite("Engine: memory")
struct MemoryTests {
  @Test("etcd crashing again and again starts again after 1 s, doubling to 30 s; a stop is decided at once")
  func crashBackoff() {
    var engine = MemberEngine()
    let s = Scenario(me: 1)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "65"))
    let crashed = s.observe(
      volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(3), etcd: .exited(.crashed("exit 2"))
    )
    var delays: [Double] = []
    for _ in 0..<7 {
      let plan = engine.plan(crashed)
      guard case .backOff(let seconds)? = plan.first else {
        Issue.record("expected a backoff first: \(plan)")
        return
      }
      #expect(plan.steps.last == .startEtcd(.fromData), "\(plan)")
      delays.append(seconds)
      engine.completed(.backOff(seconds: seconds), .done)
      engine.completed(.startEtcd(.fromData), .done)
    }
    #expect(delays == [1, 2, 4, 8, 16, 30, 30])
    #expect(engine.memory.crashRestarts == 7)
    // An exit that is no crash (a removal) backs nothing off.
    var removed = crashed
    removed.etcd = .exited(.removed)
    removed.cluster = Scenario.healthy(3)
    #expect(!engine.plan(removed).steps.contains { if case .backOff = $0 { true } else { false } })
  }

  @Test("three observations in a row of etcd refusing fresh tokens restart it; one accepted token resets the count")
  func tokenRefusals() {
    var engine = MemberEngine()
    let s = Scenario(me: 1)
    let volume = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: true, memberID: "65"))
    var o = s.observe(
      volume: volume, record: .present(Scenario.record), cluster: Scenario.healthy(3), etcd: Scenario.running(1))
    o.ownRefusedToken = true
    #expect(engine.plan(o).isWait)
    #expect(engine.plan(o).isWait)
    var accepted = o
    accepted.ownRefusedToken = false
    #expect(engine.plan(accepted).isWait)
    // A probe that says nothing about tokens neither counts nor resets.
    var silent = o
    silent.ownRefusedToken = nil
    #expect(engine.plan(o).isWait)
    #expect(engine.plan(silent).isWait)
    #expect(engine.plan(o).isWait)
    let restart = engine.plan(o)
    #expect(restart.steps == [.stopEtcd], "\(restart)")
    #expect(restart.reason.kind == .restartingForTokens)
  }

  @Test("with auth, a caught-up learner is restarted once before its promotion, never twice")
  func learnerRestartOnce() {
    var engine = MemberEngine()
    let s = Scenario(pods: 4, me: 3)
    var members = (0..<3).map { Scenario.member($0, index: 5000) }
    members.append(Scenario.member(3, learner: true, index: 5000))
    let notes = VolumeState(hasEtcdData: true, notes: PilotNotes(formed: false, memberID: "67"))
    var o = s.observe(
      volume: notes, record: .present(Scenario.record), cluster: Scenario.cluster(members), etcd: Scenario.running(3))
    o.settings.enablesAuth = true
    let restart = engine.plan(o)
    #expect(restart.steps == [.restartLearnerForAuth], "\(restart)")
    engine.completed(.restartLearnerForAuth, .stopped(clean: true))
    #expect(engine.memory.learnerRestartedForAuth)
    #expect(engine.plan(o).steps == [.acquireLock])
    // Without auth there is nothing to restart for.
    var plain = MemberEngine()
    o.settings.enablesAuth = false
    #expect(plain.plan(o).steps == [.acquireLock])
  }
}
