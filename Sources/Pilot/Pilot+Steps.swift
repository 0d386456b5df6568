import EtcdClient
import Foundation
import Logging
import Membership

extension Pilot {
  /// Carries out one step of a plan and says what came of it, for the engine.
  func run(_ step: Step, observation o: Observation, context: Context, client: EtcdClient) async throws -> StepOutcome {
    switch step {
    case .startEtcd(let start):
      try await etcd.start(start)

    case .writeMarker(let marker):
      var notes = try volume.readNotes()
      notes.marker = marker
      notes.token = marker.token
      try volume.writeNotes(notes)
      logger.info("wrote bootstrap marker \(marker.token): \(marker.initialCluster)")
      if let desired = o.desired.count, marker.members.count < desired, marker.members.first?.name == o.me.name {
        logger.warning(
          "forming the cluster with \(marker.members.count) of \(desired) pods: \(o.me.name)'s plan says why")
        await events.record(
          reason: "FormingWithoutPods",
          message:
            "forming the cluster with \(marker.members.map(\.name).joined(separator: ", ")); the pods the platform does not run join as learners when they run",
          warning: true)
      }

    case .enableAuth:
      guard let password = configuration.rootPassword else {
        throw PilotError("auth is to be enabled, but the pilot has no root password")
      }
      try await client.enableAuth(rootPassword: password)
      logger.info("authentication enabled: root user and role in place (the cluster is forming)")

    case .createRecord(let record):
      try await records.createIfAbsent(record)
      logger.info(
        "cluster record written: cluster \(record.clusterID)\(record.token.isEmpty ? "" : ", token \(record.token)")")
      await events.record(reason: "ClusterRecorded", message: "cluster \(record.clusterID) recorded", warning: false)

    case .noteFormed(let token):
      var notes = try volume.readNotes()
      notes.formed = true
      if let token, !token.isEmpty { notes.token = token }
      try volume.writeNotes(notes)
      logger.info("noted on the volume: the cluster formed")

    case .acquireLock:
      if let holder = try await lock.acquire(using: leader(o, context: context, client: client)) {
        if holder != lastLockHolder { logger.info("waiting for the membership lock, held by \(holder)") }
        lastLockHolder = holder
        await pause(client, quick: true, renewingThrough: try? leader(o, context: context, client: client))
      } else {
        lastLockHolder = nil
      }

    case .releaseLock:
      // Through the leader: this pod's own member may just have been removed.
      await lock.release(using: try leader(o, context: context, client: client))

    case .addLearner:
      let leader = try leader(o, context: context, client: client)
      try await lock.confirm(using: leader)
      let added = try await leader.memberAdd(peerURLs: [o.me.peerURL], asLearner: true)
      var notes = try volume.readNotes()
      notes.memberID = added.member.hexID
      if case .present(let record) = o.record { notes.token = record.token }
      try volume.writeNotes(notes)
      logger.info("added as learner \(added.member.hexID); starting etcd to join")
      await events.record(
        reason: "MemberAdded", message: "joined the cluster as learner \(added.member.hexID)", warning: false)
      let members = added.members.map { MemberView(id: $0.id, name: $0.name, peerURLs: $0.peerURLs) }
      let initial = JoinDecision.initialCluster(after: members, added: added.member.id, me: o.me)
      await lock.release(using: leader)
      try await etcd.start(EtcdStart(state: .existing, initialCluster: initial, token: ""))

    case .promote(let id):
      let leader = try leader(o, context: context, client: client)
      try await lock.confirm(using: leader)
      try await leader.memberPromote(id: id)
      logger.info("promoted \(String(id, radix: 16)) to voter")
      await events.record(
        reason: "MemberPromoted", message: "learner \(String(id, radix: 16)) promoted to voter", warning: false)

    case .removeMember(let id, let name):
      let leader = try leader(o, context: context, client: client)
      try await lock.confirm(using: leader)
      try await remove(id, name: name, using: leader)
      // What the last consistency check found is about the old membership: check again.
      if consistency?.hashes[id] != nil {
        consistency = nil
        nextConsistencyCheck = 0
      }

    case .moveLeader(let target):
      return .handoff(succeeded: await handLeadership(to: target, using: client.using(endpoints: context.candidates)))

    case .moveDataAside(let reason, let redundant):
      guard await !etcd.isRunning else { throw PilotError("etcd still runs; its data is not moved while it does") }
      let path = try volume.moveDataAside(reason: reason, redundant: redundant)
      logger.warning("moved this volume's etcd data aside to \(path) (\(reason)); nothing was deleted")
      await events.record(
        reason: "DataMovedAside", message: "etcd data moved aside to \(path): \(reason)", warning: true)
      await etcd.acknowledgeExit()

    case .stopEtcd, .restartLearnerForAuth:
      return .stopped(clean: await etcd.stop())

    case .stopEtcdBeforeForcing:
      let clean = await etcd.stop()
      if !clean { logger.warning("etcd did not exit on SIGTERM within its grace and was killed") }
      return .stopped(clean: clean)

    case .defragment(let id):
      let hex = String(id, radix: 16)
      guard let url = o.cluster?.member(id)?.clientURLs.first, let endpoint = try? EtcdEndpoint(parsing: url) else {
        throw PilotError("member \(hex) publishes no client URL: it cannot be defragmented now")
      }
      // Under the lock, except in NOSPACE, where taking it is a write etcd refuses.
      if o.holdsLock { try await lock.confirm(using: leader(o, context: context, client: client)) }
      let before = o.space?.members[id]?.dbSize ?? 0
      let deadline = DefragRule.deadline(forDatabaseOf: before)
      let clock = ContinuousClock()
      let started = clock.now
      try await client.pinned(to: endpoint).withTimeout(deadline).defragment(timeout: deadline)
      let after = try? await client.pinned(to: endpoint).withTimeout(.seconds(5)).status().dbSize
      let mib = { (bytes: Int64) in "\(Double(bytes * 10 / (1 << 20)) / 10) MiB" }
      let message =
        "defragmented member \(hex): database \(mib(before)) before, \(after.map(mib) ?? "unknown") after, in \(Int((clock.now - started).seconds * 1000)) ms"
      logger.info("\(message)")
      await events.record(reason: "Defragmented", message: message, warning: false)

    case .compact(let revision):
      // (A `catch where` on this typed error crashes the Swift 6.3 compiler.)
      let compacted: Bool
      do {
        _ = try await client.compact(revision: revision, physical: true)
        compacted = true
      } catch {
        guard error.code == .compacted else { throw error }
        compacted = false
      }
      if compacted {
        logger.warning(
          "compacted the history up to revision \(revision) to leave NOSPACE: older revisions are gone, current keys are kept"
        )
      } else {
        logger.info("the history was already compacted past revision \(revision)")
      }

    case .disarmNoSpace:
      for alarm in try await client.alarms() where alarm.kind == .noSpace {
        _ = try await client.disarm(alarm)
        logger.warning(
          "disarmed NOSPACE of member \(String(alarm.memberID, radix: 16)): every database is back under the quota")
        await events.record(
          reason: "NoSpaceDisarmed", message: "NOSPACE disarmed: every database is under the quota again",
          warning: false)
      }

    case .readOwnLog:
      do {
        let tail = try WALReader.tail(dataDirectory: volume.etcdDataDirectory)
        logger.info(
          "read this member's WAL: last entry \(tail.lastIndex), commit index \(tail.commit), applied index \(tail.appliedIndex.map(String.init) ?? "unknown"), leaders of the entries beyond the commit index: \(tail.leadersBeyondCommit.map { String($0, radix: 16) }.sorted())"
        )
        return .logRead(.read(tail))
      } catch {
        logger.warning("cannot read this member's WAL: \(error)")
        return .logRead(.unreadable("\(error)"))
      }

    case .forceNewCluster(let name):
      try await etcd.start(EtcdStart(state: .existing, initialCluster: "", token: "", forceNewCluster: true))
      logger.info("etcd restarted alone with --force-new-cluster; \(name) is no longer a member")
      await events.record(
        reason: "ForcedNewCluster",
        message: "\(name) left with its pod before its removal committed; continuing alone (--force-new-cluster)",
        warning: true)

    case .deleteAsideCopies(let names):
      for path in try volume.deleteAsideCopies(names) {
        logger.warning(
          "deleted the aside copy \(path) to make room for the join: it was moved aside while the cluster held every committed entry without it"
        )
      }

    case .noteMember(let id, let cluster):
      var notes = try volume.readNotes()
      notes.memberID = String(id, radix: 16)
      notes.clusterID = String(cluster, radix: 16)
      notes.served = true
      try volume.writeNotes(notes)

    case .wait, .fail, .backOff:
      // Carried out by the loop itself.
      break
    }
    return .done
  }

  private func remove(_ id: UInt64, name: String, using leader: EtcdClient) async throws {
    do {
      try await leader.memberRemove(id: id)
      logger.info("removed member \(name) (\(String(id, radix: 16)))")
      await events.record(
        reason: "MemberRemoved", message: "removed member \(name) (\(String(id, radix: 16)))", warning: false)
    } catch {
      guard error.code == .memberNotFound else { throw error }
      logger.info("member \(name) (\(String(id, radix: 16))) was already removed")
    }
  }

  private func handLeadership(to target: UInt64, using client: EtcdClient) async -> Bool {
    do {
      try await client.moveLeader(to: target)
      logger.info("handed leadership to \(String(target, radix: 16))")
      return true
    } catch {
      logger.warning("could not hand leadership to \(String(target, radix: 16)): \(error)")
      return false
    }
  }

  /// A client for membership calls: the leader first, where etcd wants them, then the other
  /// members; this pod's own member last (it may be leaving).
  func leader(_ o: Observation, context: Context, client: EtcdClient) throws -> EtcdClient {
    let own = try? EtcdEndpoint(parsing: o.me.clientURL)
    var endpoints = context.candidates.filter { $0 != own }
    if let url = o.cluster?.leader?.clientURLs.first, let endpoint = try? EtcdEndpoint(parsing: url) {
      endpoints.removeAll { $0 == endpoint }
      endpoints.insert(endpoint, at: 0)
    }
    if let own { endpoints.append(own) }
    return client.using(endpoints: endpoints)
  }
}
