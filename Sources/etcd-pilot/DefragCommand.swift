import ArgumentParser
import EtcdClient
import Foundation
import Logging
import Membership
import Pilot

/// `etcd-pilot defrag`: one defragmentation pass over a cluster on demand, by the pilot's
/// rules (``DefragPass``), against any cluster.
struct DefragCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "defrag",
    abstract: "Defragments a cluster's members one at a time, the leader last, after handing leadership away.",
    discussion: """
      Reads every member at its own client URL first and refuses to start, changing nothing, \
      while a voter is down, unhealthy or behind, a learner joins, CORRUPT is raised, or a pilot \
      holds the membership lock (/etcd-pilot/lock/membership). Then it takes that lock itself \
      (not in NOSPACE: etcd refuses its write) and defragments the members the pilot's rule says \
      are due — half the database and at least 64 MiB free, or above 80% of the quota with some \
      room — or every member with --all: followers first, most free first, then the leader once \
      leadership was handed to a caught-up voter. Each member must answer and catch up again \
      before the next one. Defragmenting needs etcd's root user when auth is on. Stopped \
      midway, the member being defragmented finishes on its own and the lock frees itself \
      within 15 s.
      """
  )

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "Defragment every member, not only those due.")
  var all = false

  @Flag(name: .customLong("dry-run"), help: "Print each member's reading and the order; change nothing.")
  var dryRun = false

  @Option(
    help:
      "etcd's backend quota (--quota-backend-bytes), which the rule reads against: bytes or a quantity such as 2Gi (default: etcd's, 2 GiB)."
  )
  var quota: String?

  func run() async throws {
    let configuration: EtcdClientConfiguration
    let quotaBytes: Int64
    do {
      quotaBytes = try QuotaOption.parse(quota)
      configuration = try connection.clientConfiguration(environment: ProcessInfo.processInfo.environment)
    } catch {
      throw Failure.exit("defrag", error)
    }
    let settings = EngineSettings()
    let options = DefragPass.Options(
      all: all, quotaBytes: quotaBytes, rule: settings.defragRule, maximumLag: settings.promotableLag)
    var quiet = Logger(label: "etcd-pilot.defrag")
    quiet.logLevel = .error
    let logger = quiet
    do {
      try await withEtcdClient(configuration, logger: logger) { client in
        let pass = DefragRun(client: client, configuration: configuration, options: options, logger: logger)
        try await pass.run(dryRun: dryRun)
      }
    } catch {
      throw Failure.exit("defrag", error)
    }
  }
}

/// `--quota`, shared by `defrag` and `alarms`.
enum QuotaOption {
  static func parse(_ text: String?) throws(InputError) -> Int64 {
    guard let text else { return EngineSettings().quotaBytes }
    guard let bytes = ByteQuantity.parse(text), bytes > 0 else {
      throw InputError("--quota '\(text)' is not a size: give bytes or a quantity such as 2Gi or 512Mi")
    }
    return bytes
  }
}

/// Why a pass stopped once it had started; what was done before is printed already.
struct DefragFailure: Error, CustomStringConvertible {
  let description: String
}

/// The effects around ``DefragPass``: the reading, the lock, each step and the waits.
struct DefragRun {
  let client: EtcdClient
  let configuration: EtcdClientConfiguration
  let options: DefragPass.Options
  let logger: Logger
  let clock = ContinuousClock()

  func run(dryRun: Bool) async throws {
    let reading = try await ClusterReading.read(using: client, configuration, quorumReads: true)
    let lock = await readLock(through: reading.answering)
    let plan = try DefragPass.plan(
      members: reading.passMembers, alarms: reading.spaceAlarms, lock: lock, options: options)
    // Not knowing whether NOSPACE or CORRUPT is raised, nothing starts.
    if let error = reading.alarmsError { throw error }
    if dryRun {
      printDryRun(plan, reading)
      return
    }
    guard !plan.steps.isEmpty else {
      say(
        "nothing to defragment: no member is due (\(Int(options.rule.freeShare * 100))% and \(DefragPass.mib(options.rule.minimumFreeBytes)) of its database free, or above \(Int(options.rule.quotaShare * 100))% of the quota, \(DefragPass.mib(options.quotaBytes))); --all defragments every member, --dry-run shows each reading"
      )
      return
    }
    let endpoints = reading.members.compactMap(\.endpoint)
    // A defragmenting member holds every request to it: renewals and the lock's checks go to
    // any other member, each within a short deadline.
    let others = client.using(endpoints: endpoints).withTimeout(.seconds(2))
    if reading.alarms.contains(where: { $0.kind == .noSpace }) {
      say("NOSPACE is raised: the pass runs without the membership lock, whose write etcd refuses until disarmed")
      try await runSteps(plan, reading, lock: nil)
      return
    }
    let membershipLock = MembershipLock(owner: "etcd-pilot defrag@\(ProcessInfo.processInfo.hostName)", logger: logger)
    if let holder = try await membershipLock.acquire(using: others) {
      throw DefragPass.Refusal(
        kind: .lockHeld,
        description:
          "the membership lock was taken by \(holder) meanwhile: nothing was defragmented; run this again once it is done"
      )
    }
    let renewal = Task {
      while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(3))
        await membershipLock.renew(using: others)
      }
    }
    do {
      try await runSteps(plan, reading, lock: membershipLock, through: others)
    } catch {
      renewal.cancel()
      await membershipLock.release(using: others)
      throw error
    }
    renewal.cancel()
    await membershipLock.release(using: others)
  }

  /// Reads the lock's key: present means a pilot is changing the membership (or defragmenting).
  func readLock(through client: EtcdClient) async -> DefragPass.Lock {
    do throws(EtcdError) {
      let result = try await client.withTimeout(configuration.callTimeout).get(.key(MembershipLock.key))
      guard let holder = result.kvs.first else { return .free }
      return .held(by: holder.valueString.isEmpty ? "someone" : holder.valueString)
    } catch {
      // Defragmenting needs the root user, who may read any key: a refusal here says the user
      // is another, and the plan says so; any other failure is a reason not to start either.
      return .unreadable(error.code == .permissionDenied ? "permission denied" : error.message)
    }
  }

  private func runSteps(
    _ plan: DefragPass.Plan, _ reading: ClusterReading, lock: MembershipLock?, through others: EtcdClient? = nil
  ) async throws {
    let order = plan.order.map { reading.label(of: $0) }
    say(
      "defragmenting \(order.count) of \(reading.members.count) members one at a time: \(order.joined(separator: ", then "))"
    )
    let started = clock.now
    var before: Int64 = 0
    var after: Int64 = 0
    var done = 0
    for step in plan.steps {
      switch step {
      case .moveLeader(let from, let to):
        try await moveLeader(from: from, to: to, reading)
      case .defragment(let id):
        guard let entry = reading.members.first(where: { $0.member.id == id }), let endpoint = entry.endpoint else {
          throw DefragFailure(description: "member \(id.etcdHex) publishes no client URL: it cannot be defragmented")
        }
        if let lock, let others {
          do {
            try await lock.confirm(using: others)
          } catch {
            throw DefragFailure(
              description:
                "\(error.description); stopped before \(entry.label) after \(done) of \(plan.order.count) members: run this again"
            )
          }
        }
        let (size, newSize, took) = try await defragment(
          entry, at: endpoint, reading, done: done, of: plan.order.count)
        before += size
        after += newSize
        done += 1
        say(
          "defragmented \(entry.label): database \(DefragPass.mib(size)) before, \(DefragPass.mib(newSize)) after, in \(took) ms"
        )
      }
    }
    say(
      "defragmented \(done) of \(reading.members.count) members one at a time: \(DefragPass.mib(before)) before, \(DefragPass.mib(after)) after, in \(milliseconds(clock.now - started)) ms"
    )
  }

  /// Defragments one member, then waits until it answers and has caught up with the leader.
  private func defragment(
    _ entry: ClusterReading.Entry, at endpoint: EtcdEndpoint, _ reading: ClusterReading, done: Int, of count: Int
  ) async throws -> (before: Int64, after: Int64, milliseconds: Int) {
    let member = client.pinned(to: endpoint).withTimeout(configuration.callTimeout)
    let stopped =
      "stopped after \(done) of \(count) members: check the cluster (etcd-pilot health), then run this again"
    var status: EndpointStatus
    do {
      status = try await member.status()
    } catch {
      throw DefragFailure(description: "\(entry.label) did not answer before its defragmentation: \(error); \(stopped)")
    }
    // A leader is defragmented only as a follower, unless it is the only voter: when an
    // election made this member the leader since the reading, leadership is handed away again.
    let otherVoters = reading.members.filter { !$0.member.isLearner && $0.member.id != entry.member.id }
    let caughtUp = otherVoters.max { ($0.status?.raftIndex ?? 0) < ($1.status?.raftIndex ?? 0) }
    if status.isLeader, let successor = caughtUp {
      try await moveLeader(from: entry.member.id, to: successor.member.id, reading)
      do {
        status = try await member.status()
      } catch {
        throw DefragFailure(
          description: "\(entry.label) did not answer before its defragmentation: \(error); \(stopped)")
      }
    }
    let started = clock.now
    do {
      try await member.defragment(timeout: DefragRule.deadline(forDatabaseOf: status.dbSize))
    } catch {
      throw DefragFailure(description: "defragmenting \(entry.label) failed: \(error); \(stopped)")
    }
    let took = milliseconds(clock.now - started)
    let newSize = try await waitCaughtUp(entry, at: endpoint, reading, stopped: stopped)
    return (status.dbSize, newSize, took)
  }

  /// Polls the member (bounded) until it answers its status, knows a leader and is within the
  /// lag of it; returns its database size then.
  private func waitCaughtUp(
    _ entry: ClusterReading.Entry, at endpoint: EtcdEndpoint, _ reading: ClusterReading, stopped: String
  ) async throws -> Int64 {
    let deadline = clock.now + .seconds(60)
    let member = client.pinned(to: endpoint).withTimeout(.seconds(2))
    var last = "no answer yet"
    while clock.now < deadline {
      do throws(EtcdError) {
        let status = try await member.status()
        if status.leader == 0 {
          last = "it knows no leader"
        } else if status.isLeader {
          return status.dbSize
        } else if let leader = reading.members.first(where: { $0.member.id == status.leader })?.endpoint {
          let leading = try await client.pinned(to: leader).withTimeout(.seconds(2)).status()
          if leading.raftIndex <= status.raftIndex + options.maximumLag { return status.dbSize }
          last = "\(leading.raftIndex - status.raftIndex) raft entries behind the leader"
        } else {
          last = "its leader \(status.leader.etcdHex) is not in the member list read"
        }
      } catch {
        last = error.message
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    throw DefragFailure(
      description: "\(entry.label) was defragmented but did not catch up within 60 s (\(last)): \(stopped)")
  }

  private func moveLeader(from: UInt64, to: UInt64, _ reading: ClusterReading) async throws {
    let stopped = "stopped before defragmenting the leader: check the cluster (etcd-pilot health), then run this again"
    guard let leader = reading.members.first(where: { $0.member.id == from }), let endpoint = leader.endpoint else {
      throw DefragFailure(description: "leader \(from.etcdHex) publishes no client URL: \(stopped)")
    }
    let pinned = client.pinned(to: endpoint).withTimeout(configuration.callTimeout)
    // An election since the reading may have moved leadership already: nothing to hand then.
    if let status = try? await pinned.status(), status.leader != 0, status.leader != from { return }
    do {
      try await pinned.moveLeader(to: to)
    } catch {
      throw DefragFailure(
        description: "moving leadership from \(leader.label) to \(reading.label(of: to)) failed: \(error); \(stopped)")
    }
    // Defragmented only once it knows itself a follower of another leader.
    let deadline = clock.now + .seconds(30)
    let member = client.pinned(to: endpoint).withTimeout(.seconds(2))
    while clock.now < deadline {
      if let status = try? await member.status(), status.leader != 0, status.leader != from {
        say(
          "moved leadership from \(leader.label) to \(reading.label(of: status.leader)) to defragment it as a follower")
        return
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    throw DefragFailure(
      description:
        "\(leader.label) still leads 30 s after leadership was handed to \(reading.label(of: to)): \(stopped)")
  }

  private func printDryRun(_ plan: DefragPass.Plan, _ reading: ClusterReading) {
    say("dry run: the rule's reading of every member (quota \(DefragPass.mib(options.quotaBytes))):")
    for assessment in plan.assessments {
      let space = assessment.space
      let leader = assessment.memberID == plan.leaderID ? ", the leader" : ""
      say(
        "\(reading.label(of: assessment.memberID))\(leader): database \(DefragPass.mib(space.dbSize)), \(DefragPass.mib(space.dbSizeInUse)) in use, \(DefragPass.mib(space.free)) free: \(assessment.isDue ? "due" : "not due"): \(assessment.why)"
      )
    }
    let steps = plan.steps.map { step in
      switch step {
      case .defragment(let id): "defragment \(reading.label(of: id))"
      case .moveLeader(let from, let to): "hand leadership from \(reading.label(of: from)) to \(reading.label(of: to))"
      }
    }
    say(steps.isEmpty ? "order: nothing is due" : "order: \(steps.joined(separator: ", then "))")
    say("dry run: nothing was changed")
  }

  /// One line on stdout, written at once: a long pass shows its progress also when piped.
  private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
  }

  private func milliseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
  }
}
