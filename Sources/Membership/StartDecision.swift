/// etcd is not running and the pod is not stopping: start it from data, take part in a
/// bootstrap, join, or wait — per DESIGN.md's start table.
enum StartDecision {
  static func plan(_ o: Observation) -> Plan {
    if o.volume.hasEtcdData, let refusal = identityRefusal(o) {
      return Plan(
        [
          .fail(
            "\(refusal); nothing was touched: move the volume's etcd directory away by hand, or restore from a snapshot"
          )
        ],
        because: .otherClusterData, "data of another cluster")
    }
    guard let desired = o.desired.count else {
      if case .paused(let reason) = o.desired, o.volume.hasEtcdData {
        // A pilot with data starts etcd at once, without waiting for the API or its peers.
        return Plan(
          [.startEtcd(.fromData)], because: .startingWhilePaused,
          "data on the volume; starting etcd at once (\(reason))")
      }
      if case .paused(let reason) = o.desired {
        return .wait(.pausedNoData, "paused: \(reason); no data on the volume")
      }
      return .wait(.paused, "paused")
    }
    if o.me.ordinal >= desired {
      return .wait(
        .aboveDesired, "this pod (ordinal \(o.me.ordinal)) is above the \(desired) desired replicas; not starting etcd")
    }
    if o.volume.hasEtcdData { return startFromData(o, desired: desired) }
    if o.volume.hasPartialData { return partialData(o) }
    return startWithoutData(o, desired: desired)
  }

  private static func startFromData(_ o: Observation, desired: Int) -> Plan {
    if let stranded = o.stranded, let plan = StrandedDecision.afterStop(o, stranded) { return plan }
    if let marker = o.volume.notes.marker, !BootstrapDecision.formed(o),
      let plan = BootstrapDecision.abandonment(marker, o, desired: desired)
    {
      return plan
    }
    return Plan([.startEtcd(.fromData)], because: .startingFromData, "data on the volume; starting etcd from it")
  }

  /// Why the data on this volume is not this pod's to start, if it is not: it belongs to another
  /// cluster than the record and the pod's notes name, or is another member than the notes say.
  static func identityRefusal(_ o: Observation) -> String? {
    let record: ClusterRecord? = if case .present(let record) = o.record { record } else { nil }
    if let record, let token = o.volume.notes.token, !record.token.isEmpty, token != record.token {
      return
        "the data on this volume belongs to another cluster (token \(token), this release's cluster is \(record.token))"
    }
    guard let data = o.volume.dataIdentity else { return nil }
    let dataCluster = String(data.clusterID, radix: 16)
    if let record, !record.clusterID.isEmpty, ClusterIdentity.hex(record.clusterID) != dataCluster {
      return
        "the data on this volume belongs to cluster \(dataCluster), not to this release's cluster \(ClusterIdentity.hex(record.clusterID)) (its cluster record)"
    }
    if let noted = o.volume.notes.clusterID, ClusterIdentity.hex(noted) != dataCluster {
      return
        "the data on this volume belongs to cluster \(dataCluster), but this pod's notes say its cluster is \(ClusterIdentity.hex(noted))"
    }
    if let noted = o.volume.notes.memberID, ClusterIdentity.hex(noted) != String(data.memberID, radix: 16) {
      return
        "the data on this volume is member \(String(data.memberID, radix: 16)), but this pod's notes say it is member \(ClusterIdentity.hex(noted))"
    }
    return nil
  }

  /// A backend without a WAL: etcd would start it as a new member over a database that may
  /// claim applied entries. With a quorum of ours the cluster holds every committed entry: the
  /// directory goes aside and the pod joins anew. Without one, it stays and the pod waits.
  private static func partialData(_ o: Observation) -> Plan {
    let what =
      "etcd's data directory holds a backend but no WAL (a start killed before it wrote its WAL, or a lost WAL): etcd cannot start from it"
    guard let cluster = o.cluster, Quorum.hasQuorum(cluster) else {
      return .wait(.partialDataNoQuorum, "\(what); no quorum answers, so it is kept; waiting")
    }
    return ExitDecision.movingAside(
      o, reason: "a backend without a WAL", redundant: true, because: .partialDataMovingAside,
      "\(what); the cluster has a quorum: moving it aside and joining anew")
  }

  private static func startWithoutData(_ o: Observation, desired: Int) -> Plan {
    if let plan = BootstrapDecision.adopt(o, desired: desired) { return plan }
    if let cluster = o.cluster { return JoinDecision.plan(o, cluster: cluster) }
    return BootstrapDecision.propose(o, desired: desired)
  }
}
