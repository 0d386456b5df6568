/// The parallel bootstrap: proven fresh, proposed by ordinal 0, adopted by everyone.
enum BootstrapDecision {
  /// Evidence that a cluster already formed, so no bootstrap may start or continue: its record,
  /// a volume that noted the formation, or one whose etcd served (a leader existed).
  static func formed(_ o: Observation) -> Bool {
    o.record.exists || o.volume.notes.formed || o.volume.notes.served || o.peers.contains { $0.formed || $0.served }
  }

  /// Joins (or resumes) an unformed bootstrap that includes this pod.
  static func adopt(_ o: Observation, desired: Int) -> Plan? {
    guard !formed(o) else { return lateMember(o) }
    let candidates: [(BootstrapMarker, String)] =
      [o.volume.notes.marker.map { ($0, "this volume") }].compactMap { $0 }
      + o.peers.sorted { $0.ordinal < $1.ordinal }.compactMap { peer in peer.marker.map { ($0, peer.name) } }
    for (marker, source) in candidates where marker.includes(o.me) {
      if abandonReason(marker, o, desired: desired) != nil {
        if source == "this volume" { return abandonment(marker, o, desired: desired) }
        continue
      }
      // Inside an unformed bootstrap the member list holds this pod as an unstarted voter. If
      // its entry has started, this volume lost the data of a started member: not a bootstrap.
      // (A cluster not proven ours counts here too: the check only ever holds a start back.)
      if let cluster = o.cluster ?? o.foreignCluster, cluster.entries(of: o.me).contains(where: \.isStarted) {
        return nil
      }
      let start = EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token)
      if o.volume.notes.marker == marker {
        return Plan(
          [.startEtcd(start)], because: .resumingBootstrap, "resuming the bootstrap of cluster token \(marker.token)")
      }
      return Plan(
        [.writeMarker(marker), .startEtcd(start)],
        because: .adoptingBootstrap,
        "adopting the bootstrap marker of \(source) (token \(marker.token), \(marker.members.count) members)")
    }
    return nil
  }

  /// A member of the bootstrap that starts after the cluster formed without it (formation needs
  /// only a quorum of them): its entry in the member list is still unstarted, under its peer
  /// URL. It starts `new` from the bootstrap's marker, and etcd takes it as that very member —
  /// the ID the cluster record lists — instead of a learner added beside a dead entry. Only on a
  /// fresh volume (an entry that never started never held data) and with a quorum of ours.
  static func lateMember(_ o: Observation) -> Plan? {
    guard o.volume.isFresh, !o.volume.hasEtcdData, let cluster = o.cluster, Quorum.hasQuorum(cluster) else {
      return nil
    }
    let entries = cluster.entries(of: o.me)
    guard entries.count == 1, let entry = entries.first, !entry.isStarted, entry.isVoter,
      entry.peerURLs == [o.me.peerURL]
    else { return nil }
    let recordToken: String? =
      if case .present(let record) = o.record, !record.token.isEmpty { record.token } else { nil }
    let markers = o.peers.sorted { $0.ordinal < $1.ordinal }.compactMap { peer in
      peer.marker.map { (marker: $0, source: peer.name, formed: peer.formed || peer.served) }
    }
    guard
      let found = markers.first(where: { candidate in
        candidate.marker.includes(o.me) && candidate.formed
          && (recordToken == nil || candidate.marker.token == recordToken)
      })
    else { return nil }
    let marker = found.marker
    return Plan(
      [
        .writeMarker(marker),
        .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token)),
      ],
      because:
        .startingAsLateMember,
      "the bootstrap of cluster token \(marker.token) formed without this pod, whose entry (\(entry.hexID)) is still unstarted: starting as that member from \(found.source)'s marker"
    )
  }

  /// Gives up the unformed bootstrap this volume holds, if it must — and never once a leader may
  /// have existed: the members that formed a quorum may have acknowledged writes. `nil` when the
  /// bootstrap goes on.
  static func abandonment(_ marker: BootstrapMarker, _ o: Observation, desired: Int) -> Plan? {
    guard let reason = abandonReason(marker, o, desired: desired) else { return nil }
    if o.volume.hasEtcdData {
      // A leader's first act is an entry of its own term, after the bootstrap's configuration
      // changes (one per initial member): a log that holds more has seen a leader.
      if let problem = o.ownLogProblem {
        return .wait(
          .bootstrapLogUnreadable,
          "the bootstrap \(reason), but this member's WAL cannot be read (\(problem)): keeping its data")
      }
      guard let tail = o.ownLogTail else {
        return Plan(
          [.readOwnLog],
          because: .readingLogBeforeAbandoning,
          "the bootstrap \(reason); reading this member's WAL first: entries beyond the bootstrap's configuration mean a leader existed"
        )
      }
      let bootstrapEntries = UInt64(marker.members.count)
      if tail.lastIndex > bootstrapEntries {
        return .wait(
          .bootstrapSawLeader,
          "the bootstrap \(reason), but this member's WAL holds \(tail.lastIndex - bootstrapEntries) entries beyond its initial configuration: a leader existed and may have acknowledged writes, so it is never given up; waiting for its members"
        )
      }
    }
    return Plan(
      [.moveDataAside(reason: "unformed bootstrap abandoned: \(reason)", redundant: false)],
      because: .abandoningBootstrap, "the bootstrap \(reason); no member of it ever saw a leader")
  }

  /// Why an unformed bootstrap would be given up: it no longer fits the desired pods, or it has
  /// not formed within the timeout on this pilot's own clock. Never while a leader exists or
  /// once any of its members served.
  static func abandonReason(_ marker: BootstrapMarker, _ o: Observation, desired: Int) -> String? {
    if o.volume.notes.served || o.peers.contains(where: { $0.served && $0.marker?.token == marker.token }) {
      return nil
    }
    if o.cluster?.leaderID != nil { return nil }
    if !marker.fits(desiredReplicas: desired) {
      return "of \(marker.members.map(\.name).joined(separator: ", ")) no longer fits \(desired) desired replicas"
    }
    let age = o.secondsUnformed ?? (o.now - marker.proposedAt)
    if age > o.settings.bootstrapTimeout {
      return "has not formed within \(Int(o.settings.bootstrapTimeout))s"
    }
    return nil
  }

  /// Ordinal 0 proposes a new cluster once every pod of the desired count answers fresh.
  static func propose(_ o: Observation, desired: Int) -> Plan {
    if o.record.exists {
      return .wait(
        .recordExistsNoQuorum,
        "the cluster formed before (its record exists) but no quorum answers; waiting for members to return (if every volume was deleted on purpose, delete the cluster record to start a new, empty cluster)"
      )
    }
    if formed(o) {
      return .wait(.peerFormedNoQuorum, "a peer reports the cluster formed, but no quorum answers; waiting")
    }
    if o.foreignCluster != nil {
      return .wait(
        .foreignClusterAnswers,
        "a cluster answers on this StatefulSet's addresses: no new cluster is proposed while one does")
    }
    guard o.me.ordinal == 0 else {
      return .wait(
        .waitingForProposal,
        "no cluster yet; waiting for \(o.pods.first { $0.ordinal == 0 }?.name ?? "ordinal 0") to propose one")
    }
    guard o.volume.isFresh else {
      return .wait(
        .volumeNotFresh, "this volume is not fresh but holds no etcd data; waiting for a marker or a cluster")
    }
    let expected = o.pods.filter { $0.ordinal < desired && $0.ordinal != o.me.ordinal }
    var uids: Set<String> = []
    var missing: [PodAddress] = []
    var answering: [PodAddress] = []
    for pod in expected {
      guard let report = o.peers.first(where: { $0.name == pod.name && $0.ordinal == pod.ordinal }),
        report.fresh, report.marker == nil, !uids.contains(report.uid)
      else {
        missing.append(pod)
        continue
      }
      uids.insert(report.uid)
      answering.append(pod)
    }
    guard !o.proposalToken.isEmpty else { return .wait(.noProposalToken, "no token to propose with") }
    var why = "every pod of \(desired) answered fresh and no cluster exists"
    if !missing.isEmpty {
      let names = missing.map(\.name).joined(separator: ", ")
      // Pods the platform does not run (unschedulable, a volume in another zone) may never
      // come: past a timeout the others form the cluster, and they join later as learners. A
      // pod that runs but does not answer fresh may hold data: for it, always wait.
      let notRun = missing.allSatisfy { [.pending, .absent].contains(o.phase(ofOrdinal: $0.ordinal)) }
      guard notRun else { return .wait(.waitingForFreshPods, "no cluster yet; waiting for \(names) to answer fresh") }
      let waited = o.secondsWaitingForAbsentPods ?? 0
      guard waited >= o.settings.absentPodTimeout else {
        return Plan(
          [.wait],
          because:
            .waitingForAbsentPods,
          "no cluster yet; waiting for \(names) to answer fresh; the platform does not run \(missing.count == 1 ? "it" : "them"): forming without \(missing.count == 1 ? "it" : "them") after \(Int(o.settings.absentPodTimeout)) s (now \(Int(waited)) s)",
          remembering: .waitingForAbsentPods)
      }
      why =
        "\(names) \(missing.count == 1 ? "has" : "have") not run for \(Int(waited)) s (unschedulable, or a volume that cannot attach); every pod that runs answered fresh and no cluster exists: forming without \(missing.count == 1 ? "it" : "them"), \(missing.count == 1 ? "it joins" : "they join") as learners when \(missing.count == 1 ? "it runs" : "they run")"
    }
    let members =
      ([o.me].map { BootstrapMarker.Member(name: $0.name, ordinal: $0.ordinal, peerURL: $0.peerURL) }
      + answering.map { BootstrapMarker.Member(name: $0.name, ordinal: $0.ordinal, peerURL: $0.peerURL) })
      .sorted { $0.ordinal < $1.ordinal }
    let marker = BootstrapMarker(token: o.proposalToken, members: members, proposedAt: o.now)
    return Plan(
      [
        .writeMarker(marker),
        .startEtcd(EtcdStart(state: .new, initialCluster: marker.initialCluster, token: marker.token)),
      ],
      because: .proposingCluster, "\(why): proposing cluster token \(marker.token)")
  }
}
