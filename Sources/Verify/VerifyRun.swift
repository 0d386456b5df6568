import EtcdClient
import Foundation
import Linearizability
import LocalCluster
import Logging
import Pilot

/// One verify run against a running local cluster: the workload under a seeded fault schedule,
/// then the checks.
public struct VerifyRun: Sendable {
  public var faults: Int
  public var seed: UInt64
  /// The fault schedule's version (``FaultSchedule/versions``): with the seed, it names the run.
  public var schedule: Int
  /// Members at the start of the seed's schedule (fault 1).
  public var replicas: Int
  /// The first fault injected, counting from 1: the faults before it are drawn, not injected.
  public var from: Int
  public var healTimeout: Duration = .seconds(240)
  public var workload = Workload()
  /// A fault made while the cluster bootstraps (schedule 3, from fault 1), carried out once the
  /// workload runs.
  public var opening: AbsentBootstrapMember?
  public var say: @Sendable (String) -> Void

  public init(
    faults: Int, seed: UInt64, schedule: Int = FaultSchedule.latestVersion, replicas: Int, from: Int = 1,
    say: @escaping @Sendable (String) -> Void
  ) {
    self.faults = faults
    self.seed = seed
    self.schedule = schedule
    self.replicas = replicas
    self.from = from
    self.say = say
  }

  /// The members the cluster must have when the run starts: those the schedule has reached at
  /// fault `from`.
  public var startingReplicas: Int {
    FaultSchedule.positioned(seed: seed, version: schedule, replicas: replicas, at: from).replicas
  }

  public func run(control: LocalControlClient, config: LocalClusterConfig) async throws -> VerifyReport {
    let endpoints = (0..<FaultSchedule.maxReplicas).compactMap { try? EtcdEndpoint(parsing: config.clientURL($0)) }
    var logger = Logger(label: "etcd-pilot.verify")
    logger.logLevel = .critical
    return try await withEtcdClient(try config.clientConfiguration(endpoints, callTimeout: .seconds(5)), logger: logger)
    { etcd in
      var report = VerifyReport(seed: seed, schedule: schedule)
      report.from = from
      let history = History()
      let clock = ContinuousClock()
      let start = clock.now
      let injector = FaultInjector(control: control, config: config, etcd: etcd)
      var (faultSchedule, current) = FaultSchedule.positioned(
        seed: seed, version: schedule, replicas: replicas, at: from)
      let workload = self.workload
      let load = Task { await workload.run(using: etcd, into: history, clock: clock, start: start) }
      if let opening {
        say("fault 0: \(AbsentBootstrapMember.title)")
        report.faults[AbsentBootstrapMember.title, default: 0] += 1
        do {
          let healed = try await opening.carryOut(injector, replicas: current, healTimeout: healTimeout, say: say)
          report.healSeconds.append(healed.seconds)
          say("  healed in \(String(format: "%.1f", healed.seconds)) s")
        } catch {
          report.aborted = "\(AbsentBootstrapMember.title): \(error)"
        }
      }
      // Let the workload get going before the first fault.
      try? await Task.sleep(for: .seconds(2))
      let last = from + faults - 1
      for number in from...max(last, from) where faults > 0 && report.aborted == nil {
        let plan = faultSchedule.plan(replicas: current)
        say("fault \(number)/\(last): \(plan.title)")
        report.faults[plan.fault.rawValue, default: 0] += 1
        do {
          let outcome = try await injector.apply(plan, healTimeout: healTimeout)
          current = outcome.replicas
          report.healSeconds.append(
            Double(outcome.heal.components.seconds) + Double(outcome.heal.components.attoseconds) / 1e18)
          say("  healed in \(String(format: "%.1f", report.healSeconds.last ?? 0)) s")
        } catch {
          report.aborted = "\(plan.fault.rawValue): \(error)"
          break
        }
        try? await Task.sleep(for: plan.pause)
      }
      load.cancel()
      await load.value
      if report.aborted != nil {
        // Check what there is once the cluster has healed, if it does.
        say("healing before the checks")
        _ = try? await injector.heal(replicas: current, timeout: healTimeout)
      }

      say("checking: acknowledged writes, linearizability, membership, HashKV")
      let counts = history.counts
      report.operations = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
      try await check(history, into: &report, etcd: etcd, config: config, replicas: current)
      return report
    }
  }

  /// Runs `body` until it succeeds, for up to a minute: the checks read a cluster that may
  /// still be electing a leader.
  private func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + .seconds(60)
    while true {
      do {
        return try await body()
      } catch {
        if ContinuousClock.now >= deadline { throw error }
        try await Task.sleep(for: .milliseconds(500))
      }
    }
  }

  private func check(
    _ history: History, into report: inout VerifyReport, etcd: EtcdClient, config: LocalClusterConfig, replicas: Int
  ) async throws {
    // Every acknowledged write, with its value.
    let acknowledged = history.writes.filter { $0.outcome == .ok }
    report.acknowledgedWrites = acknowledged.count
    // Read in pages: a long run writes more than one gRPC message may carry (4 MiB).
    let prefix = KeyRange.prefix("\(workload.prefix)/writes/")
    var values: [String: String] = [:]
    var start = prefix.key
    while true {
      let page = try await retrying {
        try await etcd.withTimeout(.seconds(30)).get(KeyRange(key: start, rangeEnd: prefix.rangeEnd), limit: 5000)
      }
      for kv in page.kvs { values[kv.keyString] = kv.valueString }
      guard page.more, let last = page.kvs.last else { break }
      start = last.key + Data([0])
    }
    report.lostWrites = acknowledged.filter { values[$0.key] != $0.value }.map(\.key)

    // The register history.
    let operations = history.registerOperations
    report.registerOperations = operations.count
    switch LinearizabilityChecker(model: RegisterModel()).check(operations) {
    case .linearizable: break
    case .notLinearizable(let key, let operation, let explained, let of):
      report.linearizability = "\(key): no order explains \(operation) (\(explained) of \(of) operations placed)"
    case .unknown(let key):
      report.linearizability = "\(key): the search ran out of budget (history too concurrent to decide)"
    }

    // Membership: exactly the desired pods, all voters.
    let members = try await retrying { try await etcd.memberList().members }
    let names = Set(members.map(\.name))
    let desired = Set((0..<replicas).map(config.podName))
    if names != desired || members.contains(where: \.isLearner) {
      report.membership =
        "members \(names.sorted().joined(separator: ",")) (learners: \(members.filter(\.isLearner).map(\.name))) "
        + "but the desired pods are \(desired.sorted().joined(separator: ","))"
    }

    // The same data everywhere: HashKV at one revision on every member.
    let revision = try await retrying {
      try await etcd.get(.key("\(workload.prefix)/registers/0"), countOnly: true).header.revision
    }
    var hashes: [String: UInt32] = [:]
    for member in members {
      guard let url = member.clientURLs.first, let endpoint = try? EtcdEndpoint(parsing: url) else { continue }
      var last: (any Error)?
      for _ in 0..<50 {
        do {
          hashes[member.name] = try await etcd.pinned(to: endpoint).hashKV(revision: revision).hash
          last = nil
          break
        } catch {
          // A member that has not applied the revision yet says "future revision".
          last = error
          try await Task.sleep(for: .milliseconds(200))
        }
      }
      if let last { report.consistency = "\(member.name) gave no HashKV at revision \(revision): \(last)" }
    }
    if report.consistency == nil, Set(hashes.values).count > 1 {
      report.consistency =
        "HashKV differs at revision \(revision): "
        + hashes.sorted { $0.key < $1.key }.map { "\($0.key)=\(String($0.value, radix: 16))" }.joined(separator: ", ")
    }
  }
}
