import Testing
import Verify

/// The seeded schedule: a seed names one sequence of faults, with every choice in it, whatever
/// the cluster did — so a recorded seed replays, from the start or from any fault.
@Suite("verify's fault schedule")
struct FaultScheduleTests {
  static func titles(seed: UInt64, version: Int = FaultSchedule.latestVersion, replicas: Int, count: Int) -> [String] {
    var schedule = FaultSchedule(seed: seed, version: version)
    var current = replicas
    return (0..<count).map { _ in
      let plan = schedule.plan(replicas: current)
      current = plan.target
      return plan.title
    }
  }

  /// Printed by `verify --faults 1000 --seed 20261127` built before faults were planned ahead
  /// (commit 1cc51bd, which drew the choices while injecting): the same seed must name the same
  /// run in schedule 1, or the recorded seeds in bench/ would replay something else.
  @Test("seed 20261127 of schedule 1 names the faults an earlier build printed for it")
  func recordedSeedStillNamesItsRun() {
    let titles = Self.titles(seed: 20_261_127, version: 1, replicas: 3, count: 413)
    #expect(
      Array(titles.prefix(20)) == [
        "crash during scale-down (3 → 2)", "crash during scale-down (2 → 1)", "full-cluster restart",
        "full-cluster restart", "rolling restart", "scale up (1 → 3)", "peer traffic delayed", "SIGKILL the leader",
        "peer traffic blackholed", "peer traffic delayed", "scale up (3 → 5)", "scale to 1 and back",
        "SIGTERM the leader", "peer traffic blackholed", "peer traffic dropped", "SIGTERM the leader", "lost volume",
        "peer traffic blackholed", "crash during scale-down (5 → 4)", "peer traffic delayed",
      ])
    #expect(titles[135] == "crash during scale-down (2 → 1)")
    #expect(titles[299] == "SIGKILL a follower")
    #expect(titles[412] == "scale to 1 and back")
  }

  @Test(
    "positioned at fault N: the members the schedule has then, and the same plans from there on",
    arguments: FaultSchedule.versions)
  func positionedAtAFault(version: Int) {
    var whole = FaultSchedule(seed: 20_261_127, version: version)
    var current = 3
    var plans: [FaultPlan] = []
    for _ in 0..<150 {
      plans.append(whole.plan(replicas: current))
      current = plans.last!.target
    }
    var (schedule, replicas) = FaultSchedule.positioned(seed: 20_261_127, version: version, replicas: 3, at: 136)
    #expect(replicas == plans[134].target)
    #expect(version != 1 || replicas == 2, "schedule 1's fault 136 is the recorded crash during scale-down 2 → 1")
    for index in 135..<150 {
      let plan = schedule.plan(replicas: replicas)
      #expect(plan == plans[index], "fault \(index + 1)")
      replicas = plan.target
    }
    #expect(FaultSchedule.positioned(seed: 20_261_127, version: version, replicas: 3, at: 1).replicas == 3)
  }

  @Test(
    "schedule 1 never draws SIGTERM of a quorum; schedule 2 adds it; schedule 3 adds the faults of issues 12 and 15 and draws every kind"
  )
  func versionsDrawTheirKinds() {
    func kinds(_ version: Int) -> Set<String> {
      Set(
        Self.titles(seed: 7, version: version, replicas: 3, count: 3000).map {
          $0.split(separator: " (").first.map(String.init)!
        })
    }
    let added: [Fault] = [.frozenMember, .stalledStop, .unreadableVolume, .recordLost, .clockSkew, .fillToQuota]
    #expect(kinds(1) == Set(Fault.allCases.filter { $0 != .termQuorum && !added.contains($0) }.map(\.rawValue)))
    #expect(kinds(2) == Set(Fault.allCases.filter { !added.contains($0) }.map(\.rawValue)))
    #expect(kinds(3) == Set(Fault.allCases.map(\.rawValue)))
    #expect(FaultSchedule.kinds(version: 1) + [.termQuorum] == FaultSchedule.kinds(version: 2))
    #expect(FaultSchedule.kinds(version: 2) + added == FaultSchedule.kinds(version: 3))
  }

  @Test("every plan is one a cluster of its size can take", arguments: FaultSchedule.versions)
  func plansFitTheCluster(version: Int) {
    var schedule = FaultSchedule(seed: 7, version: version)
    var current = 3
    for _ in 0..<2000 {
      let plan = schedule.plan(replicas: current)
      #expect((1...FaultSchedule.maxReplicas).contains(plan.target), "\(plan)")
      #expect((0...max(0, current - 2)).contains(plan.follower), "\(plan)")
      #expect(plan.quorum.count == ([.killQuorum, .termQuorum].contains(plan.fault) ? current / 2 + 1 : 0), "\(plan)")
      #expect(Set(plan.quorum).count == plan.quorum.count && plan.quorum.allSatisfy { $0 < current }, "\(plan)")
      #expect(plan.pause >= .milliseconds(200) && plan.pause <= .milliseconds(2000), "\(plan)")
      #expect(plan.pod < current && abs(plan.clockOffset) <= 900, "\(plan)")
      current = plan.target
    }
  }
}
