/// SIGTERM arrived. A pod above the desired count leaves the cluster (leadership away, then
/// its removal, then its data aside once etcd has exited); any other pod hands leadership away
/// and stops etcd, keeping the data. A pause (desired 0, StatefulSet deleted, API down) keeps
/// everything.
enum StopDecision {
  static func plan(_ o: Observation) -> Plan {
    let leaving = o.desired.count.map { $0 > 0 && o.me.ordinal >= $0 } ?? false
    switch o.etcd {
    case .stopped:
      return .done(.stopped, leaving ? "stopped; etcd was not running" : "stopped; data kept")
    case .exited(let exit):
      let unlisted = o.cluster != nil && o.myMemberID.map { o.cluster?.member($0) == nil } == true
      // Only the linearizable member list proves the removal; until a quorum answers, wait (the
      // data stays either way).
      if leaving, o.volume.hasEtcdData, o.cluster == nil {
        return .wait(
          .leavingWaitsForQuorum,
          "leaving: etcd has exited (\(exit)); waiting for a quorum to confirm the removal before moving the data aside"
        )
      }
      // Still listed: the list may predate the exit (etcd exits as it applies its removal), or
      // etcd crashed and the lock holder will remove it as a departing member. Either way the
      // next list decides; the grace period bounds the wait, and the data stays meanwhile.
      if leaving, o.volume.hasEtcdData, o.myMemberID != nil, !unlisted {
        return .wait(
          .leavingWaitsForList,
          "leaving: etcd has exited (\(exit)) but the member list still shows this member; waiting for it to show the removal"
        )
      }
      if leaving, o.volume.hasEtcdData, unlisted {
        return ExitDecision.movingAside(
          o, reason: "scaled down: member removed", redundant: true, because: .leftMovingAside,
          "this pod left the cluster on scale-down")
      }
      return .done(.stoppedAfterExit, "stopped; etcd had exited (\(exit)); data kept")
    case .running(_, let myID, _):
      guard let myID, let cluster = o.cluster else {
        if leaving {
          return .wait(
            .leavingNoQuorum,
            "scaled down, but no quorum answers: cannot leave; etcd keeps running until the grace period ends")
        }
        return Plan([.stopEtcd], because: .stopping, "stopping; data kept")
      }
      guard let me = cluster.member(myID) else {
        if leaving {
          return Plan(
            [.stopEtcd, .moveDataAside(reason: "scaled down: member removed", redundant: true)],
            because: .leftUnlisted, "this member is no longer listed: it has left the cluster")
        }
        return Plan([.stopEtcd], because: .stopping, "stopping; data kept")
      }
      let handoff =
        o.settings.handsOffLeadership && cluster.leaderID == myID
        ? successor(o, cluster: cluster, excluding: myID) : nil
      if leaving {
        // A handoff that keeps failing does not keep the member forever: etcd lets a leader
        // remove itself (it steps down once its removal applies).
        if let handoff, o.failedHandoffs < o.settings.handoffAttempts {
          return Plan(
            [.moveLeader(to: handoff.id)], because: .handingOffToLeave,
            "leaving: handing leadership to \(handoff.label) first")
        }
        guard o.holdsLock else {
          return Plan([.acquireLock], because: .leavingNeedsLock, "leaving the cluster needs the membership lock")
        }
        guard Quorum.canRemove(me, from: cluster) else {
          return .wait(
            .leavingLosesQuorum,
            "scaled down, but removing \(me.label) now would lose quorum; etcd keeps running until the grace period ends"
          )
        }
        return Plan(
          [.removeMember(memberID: myID, name: me.label), .releaseLock],
          because: .leaving,
          "scaled down: ordinal \(o.me.ordinal) is at or above \(o.desired.count ?? 0) desired replicas; leaving the cluster"
        )
      }
      if let handoff {
        return Plan(
          [.moveLeader(to: handoff.id), .stopEtcd], because: .handingOffToStop,
          "stopping: handing leadership to \(handoff.label) first; data kept")
      }
      return Plan(
        [.stopEtcd], because: .stopping,
        o.desired.count == nil ? "paused; stopping and keeping the data" : "stopping; data kept")
    }
  }

  /// The most up-to-date alive voter that a desired pod owns.
  static func successor(_ o: Observation, cluster: ClusterView, excluding id: UInt64) -> MemberView? {
    cluster.voters
      .filter { $0.id != id && $0.isAlive && $0.isStarted }
      .sorted { lhs, rhs in
        let lhsOwned = o.isOwned(lhs)
        let rhsOwned = o.isOwned(rhs)
        if lhsOwned != rhsOwned { return lhsOwned }
        return lhs.raftIndex > rhs.raftIndex
      }
      .first
  }
}
