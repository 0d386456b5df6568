/// The parallel bootstrap: proven fresh, proposed by ordinal 0, adopted by everyone.
enum BootstrapDecision {
  /// Evidence that a cluster already formed, so no bootstrap may start or continue.
  static func formed(_ o: Observation) -> Bool {
    o.record.exists || o.volume.notes.formed || o.peers.contains(where: \.formed)
  }

  /// Joins (or resumes) an unformed bootstrap that includes this pod.
  static func adopt(_ o: Observation, desired: Int) -> Plan? {
    guard !formed(o) else { return nil }
    let candidates: [(BootstrapMarker, String)] =
      [o.volume.notes.marker.map { ($0, "this volume") }].compactMap { $0 }
      + o.peers.sorted { $0.ordinal < $1.ordinal }.compactMap { peer in peer.marker.map { ($0, peer.name) } }
    for (marker, source) in candidates where marker.includes(o.me) {
      if let reason = abandonReason(marker, o, desired: desired) {
        if source == "this volume" {
          return Plan([.moveDataAside(reason: "unformed bootstrap abandoned: \(reason)")], because: reason)
        }
        continue
      }
      // Inside an unformed bootstrap the member list holds this pod as an unstarted voter. If
      // its entry has started, this volume lost the data of a started member: not a bootstrap.
      if let cluster = o.cluster, cluster.entries(of: o.me).contains(where: \.isStarted) { return nil }
      let start = EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token)
      if o.volume.notes.marker == marker {
        return Plan([.startEtcd(start)], because: "resuming the bootstrap of cluster token \(marker.token)")
      }
      return Plan(
        [.writeMarker(marker), .startEtcd(start)],
        because: "adopting the bootstrap marker of \(source) (token \(marker.token), \(marker.members.count) members)")
    }
    return nil
  }

  /// Why an unformed bootstrap must be given up, if it must.
  static func abandonReason(_ marker: BootstrapMarker, _ o: Observation, desired: Int) -> String? {
    if o.cluster?.leaderID != nil, o.cluster?.members.allSatisfy(\.isStarted) == true { return nil }
    if !marker.fits(desiredReplicas: desired) {
      return "its members \(marker.members.map(\.name).joined(separator: ", ")) no longer fit \(desired) desired replicas"
    }
    let age = o.now - marker.proposedAt
    if age > o.settings.bootstrapTimeout {
      return "it has not formed within \(Int(o.settings.bootstrapTimeout))s"
    }
    return nil
  }

  /// Ordinal 0 proposes a new cluster once every pod of the desired count answers fresh.
  static func propose(_ o: Observation, desired: Int) -> Plan {
    if o.record.exists {
      return .wait("the cluster formed before (its record exists) but no quorum answers; waiting for members to return")
    }
    if formed(o) {
      return .wait("a peer reports the cluster formed, but no quorum answers; waiting")
    }
    guard o.me.ordinal == 0 else {
      return .wait("no cluster yet; waiting for \(o.pods.first { $0.ordinal == 0 }?.name ?? "ordinal 0") to propose one")
    }
    guard o.volume.isFresh else {
      return .wait("this volume is not fresh but holds no etcd data; waiting for a marker or a cluster")
    }
    let expected = o.pods.filter { $0.ordinal < desired && $0.ordinal != o.me.ordinal }
    var uids: Set<String> = []
    var missing: [String] = []
    for pod in expected {
      guard let report = o.peers.first(where: { $0.name == pod.name && $0.ordinal == pod.ordinal }),
        report.fresh, report.marker == nil, !uids.contains(report.uid)
      else {
        missing.append(pod.name)
        continue
      }
      uids.insert(report.uid)
    }
    if !missing.isEmpty {
      return .wait("no cluster yet; waiting for \(missing.joined(separator: ", ")) to answer fresh")
    }
    guard !o.proposalToken.isEmpty else { return .wait("no token to propose with") }
    let members = ([o.me.ordinal] + expected.map(\.ordinal)).sorted().compactMap { ordinal -> BootstrapMarker.Member? in
      if ordinal == o.me.ordinal { return .init(name: o.me.name, ordinal: ordinal, peerURL: o.me.peerURL) }
      guard let pod = o.pods.first(where: { $0.ordinal == ordinal }) else { return nil }
      return .init(name: pod.name, ordinal: ordinal, peerURL: pod.peerURL)
    }
    let marker = BootstrapMarker(token: o.proposalToken, members: members, proposedAt: o.now)
    return Plan(
      [.writeMarker(marker), .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token))],
      because: "every pod of \(desired) answered fresh and no cluster exists: proposing cluster token \(marker.token)")
  }
}
