/// etcd ended on its own: restart it, replace the member, or stop, by what it said.
enum ExitDecision {
  static func plan(_ o: Observation, exit: EtcdExit) -> Plan {
    switch exit {
    case .removed:
      guard let cluster = o.cluster else {
        return .wait(
          .removedNoQuorum,
          "this member was removed; waiting for a quorum before moving its data aside and joining again")
      }
      guard let id = o.myMemberID else {
        // Which member this data is must be known before the list can prove it removed.
        guard o.volume.hasEtcdData else { return restart(o, after: "etcd said it was removed") }
        return .wait(
          .removedUnknownMember,
          "etcd said this member was removed, but neither the pod's notes nor the WAL say which member the data is: keeping it"
        )
      }
      if cluster.member(id) != nil {
        // The linearizable list is the truth: a listed member is not removed.
        guard o.volume.hasEtcdData else { return restart(o, after: "etcd said it was removed") }
        return Plan(
          [.startEtcd(.fromData)], because: .removedButListed,
          "etcd said it was removed, but the cluster still lists \(String(id, radix: 16)); restarting")
      }
      return movingAside(
        o, reason: "member removed from the cluster", redundant: true,
        because: .removedMovingAside,
        "etcd exited: this member (\(String(id, radix: 16))) was permanently removed; its data is of no further use")
    case .alreadyBootstrapped:
      return movingAside(
        o, reason: "cluster already bootstrapped", redundant: true,
        because: .alreadyBootstrapped,
        "etcd refused to bootstrap: the cluster formed long ago and this volume lost its data; joining as a new member")
    case .corruptData(let message):
      guard let cluster = o.cluster else {
        return .wait(
          .corruptNoQuorum,
          "etcd cannot use its data (\(message)) and no quorum answers: keeping every byte; a restore is needed if this lasts"
        )
      }
      let others = cluster.voters.filter { $0.id != o.myMemberID && $0.isAlive }.count
      guard others >= Quorum.size(voters: cluster.voters.count) else {
        return .wait(
          .corruptOthersNoQuorum,
          "etcd cannot use its data (\(message)) and the others have no quorum without it: keeping every byte")
      }
      return movingAside(
        o, reason: "etcd cannot use it: \(message)", redundant: true,
        because: .replacingCorrupt,
        "etcd cannot use its data (\(message)); the cluster has quorum without it: replacing this member")
    case .otherCluster(let message):
      return Plan(
        [
          .fail(
            "the data on this volume belongs to another cluster (\(message)); nothing was touched: move it away by hand or restore"
          )
        ],
        because: .otherClusterData, "data of another cluster")
    case .crashed(let message):
      var plan = restart(o, after: "etcd crashed (\(message))")
      guard plan.steps.contains(where: \.startsEtcd) else { return plan }
      plan.steps.insert(.backOff(seconds: crashBackoff(after: o.crashRestarts)), at: 0)
      plan.memo = plan.memo ?? .crashRestart
      return plan
    }
  }

  /// Seconds before etcd starts again after a crash, given the restarts after crashes so far: 1 s
  /// doubling to 30 s, the way the kubelet backs off a crashing container.
  public static func crashBackoff(after restarts: Int) -> Double {
    min(Double(1 << min(restarts, 5)), 30)
  }

  /// Moves the data aside, first releasing the membership lock if this pod holds it.
  static func movingAside(
    _ o: Observation, reason: String, redundant: Bool, because kind: Reason.Kind, _ why: String
  ) -> Plan {
    Plan([.moveDataAside(reason: reason, redundant: redundant)], because: kind, why)
  }

  /// Decides as if etcd had not been started yet.
  private static func restart(_ o: Observation, after what: String) -> Plan {
    var restarted = o
    restarted.etcd = .stopped
    var plan = StartDecision.plan(restarted)
    plan.reason.text = "\(what); \(plan.reason.text)"
    return plan
  }
}
