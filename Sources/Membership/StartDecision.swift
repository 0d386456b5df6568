/// etcd is not running and the pod is not stopping: start it from data, take part in a
/// bootstrap, join, or wait — per DESIGN.md's start table.
enum StartDecision {
  static func plan(_ o: Observation) -> Plan {
    guard let desired = o.desired.count else {
      if case .paused(let reason) = o.desired, o.volume.hasEtcdData {
        // A pilot with data starts etcd at once, without waiting for the API or its peers.
        return Plan([.startEtcd(.fromData)], because: "data on the volume; starting etcd at once (\(reason))")
      }
      if case .paused(let reason) = o.desired { return .wait("paused: \(reason); no data on the volume") }
      return .wait("paused")
    }
    if o.me.ordinal >= desired {
      return .wait("this pod (ordinal \(o.me.ordinal)) is above the \(desired) desired replicas; not starting etcd")
    }
    if o.volume.hasEtcdData { return startFromData(o, desired: desired) }
    return startWithoutData(o, desired: desired)
  }

  private static func startFromData(_ o: Observation, desired: Int) -> Plan {
    if case .present(let record) = o.record, let token = o.volume.notes.token, token != record.token {
      return Plan(
        [.fail(
          "the data on this volume belongs to another cluster (token \(token), this release's cluster is \(record.token)); "
            + "nothing was touched: move the volume's etcd directory away by hand or restore from a snapshot")],
        because: "data of another cluster")
    }
    if let marker = o.volume.notes.marker, !o.volume.notes.formed, let reason = BootstrapDecision.abandonReason(marker, o, desired: desired) {
      return Plan([.moveDataAside(reason: "unformed bootstrap abandoned: \(reason)")], because: reason)
    }
    return Plan([.startEtcd(.fromData)], because: "data on the volume; starting etcd from it")
  }

  private static func startWithoutData(_ o: Observation, desired: Int) -> Plan {
    if let plan = BootstrapDecision.adopt(o, desired: desired) { return plan }
    if let cluster = o.cluster { return JoinDecision.plan(o, cluster: cluster) }
    return BootstrapDecision.propose(o, desired: desired)
  }
}
