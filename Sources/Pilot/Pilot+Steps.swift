import EtcdClient
import Foundation
import Logging
import Membership

extension Pilot {
  /// Carries out one step of a plan.
  func run(_ step: Step, observation o: Observation, context: Context, client: EtcdClient) async throws {
    switch step {
    case .startEtcd(let start):
      try await etcd.start(start)

    case .writeMarker(let marker):
      var notes = try volume.readNotes()
      notes.marker = marker
      notes.token = marker.token
      try volume.writeNotes(notes)
      logger.info("wrote bootstrap marker \(marker.token): \(marker.initialCluster)")

    case .recordFormation(let record):
      // Auth is turned on once, by the bootstrapping members as their cluster forms (before
      // anything is noted, so a failure is retried), and never again: an operator who turns
      // it off later is not overruled.
      if let password = configuration.rootPassword, !record.token.isEmpty, !o.record.exists {
        try await client.enableAuth(rootPassword: password)
        logger.info("authentication enabled: root user and role in place (the cluster is forming)")
      }
      var notes = try volume.readNotes()
      notes.formed = true
      if !record.token.isEmpty { notes.token = record.token }
      try volume.writeNotes(notes)
      if !record.token.isEmpty, !o.record.exists {
        try await records.createIfAbsent(record)
        logger.info("cluster \(record.clusterID) formed; cluster record written (token \(record.token))")
        await events.record(reason: "ClusterFormed", message: "cluster \(record.clusterID) formed", warning: false)
      }

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
      await events.record(reason: "MemberAdded", message: "joined the cluster as learner \(added.member.hexID)", warning: false)
      let initial = added.members.map { member in
        let name = member.id == added.member.id ? o.me.name : (member.name.isEmpty ? "m-\(member.hexID)" : member.name)
        return "\(name)=\(member.peerURLs.first ?? "")"
      }.joined(separator: ",")
      await lock.release(using: leader)
      try await etcd.start(EtcdStart(state: .existing, initialCluster: initial, token: ""))

    case .promote(let id):
      let leader = try leader(o, context: context, client: client)
      try await lock.confirm(using: leader)
      try await leader.memberPromote(id: id)
      logger.info("promoted \(String(id, radix: 16)) to voter")
      await events.record(reason: "MemberPromoted", message: "learner \(String(id, radix: 16)) promoted to voter", warning: false)

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
      await handLeadership(to: target, using: client.using(endpoints: context.candidates))

    case .moveDataAside(let reason):
      await etcd.stop()
      await lock.release(using: try leader(o, context: context, client: client))
      let path = try volume.moveDataAside(reason: reason)
      logger.warning("moved this volume's etcd data aside to \(path) (\(reason)); nothing was deleted")
      await events.record(reason: "DataMovedAside", message: "etcd data moved aside to \(path): \(reason)", warning: true)
      await etcd.acknowledgeExit()

    case .stopEtcd:
      if o.restartLearnerBeforePromotion, o.myMemberID.flatMap({ o.cluster?.member($0) })?.isLearner == true {
        learnerRestartedForAuth = true
      }
      await etcd.stop()

    case .readOwnLog:
      do {
        let tail = try WALReader.tail(dataDirectory: volume.etcdDataDirectory)
        ownLogReading = .success(tail)
        logger.info(
          "read this member's WAL: last entry \(tail.lastIndex), commit index \(tail.commit), leaders of the entries beyond it: \(tail.leadersBeyondCommit.map { String($0, radix: 16) }.sorted())")
      } catch let failure as WALReader.Failure {
        ownLogReading = .failure(failure)
      }

    case .forceNewCluster(let name):
      ownLogReading = nil
      await etcd.stop()
      try await etcd.start(EtcdStart(state: .existing, initialCluster: "", token: "", forceNewCluster: true))
      logger.info("etcd restarted alone with --force-new-cluster; \(name) is no longer a member")
      await events.record(
        reason: "ForcedNewCluster",
        message: "\(name) left with its pod before its removal committed; continuing alone (--force-new-cluster)",
        warning: true)

    case .pruneAsideCopies(let keep):
      for path in try volume.pruneAsideCopies(keep: keep) {
        logger.info("deleted the older aside copy \(path): this pod is a healthy member again")
      }

    case .noteMemberID(let id):
      var notes = try volume.readNotes()
      notes.memberID = String(id, radix: 16)
      try volume.writeNotes(notes)

    case .wait, .fail:
      break
    }
  }

  private func remove(_ id: UInt64, name: String, using leader: EtcdClient) async throws {
    do {
      try await leader.memberRemove(id: id)
      logger.info("removed member \(name) (\(String(id, radix: 16)))")
      await events.record(reason: "MemberRemoved", message: "removed member \(name) (\(String(id, radix: 16)))", warning: false)
    } catch {
      guard error.code == .memberNotFound else { throw error }
      logger.info("member \(name) (\(String(id, radix: 16))) was already removed")
    }
  }

  private func handLeadership(to target: UInt64, using client: EtcdClient) async {
    do {
      try await client.moveLeader(to: target)
      logger.info("handed leadership to \(String(target, radix: 16))")
    } catch {
      logger.warning("could not hand leadership to \(String(target, radix: 16)): \(error)")
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
