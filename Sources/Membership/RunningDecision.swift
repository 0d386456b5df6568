/// etcd runs: record the formation, promote this pod's own learner once caught up, and, beside
/// the raft leader, reconcile the membership.
enum RunningDecision {
  static func plan(_ o: Observation) -> Plan {
    guard case .running(let serving, let myID, let secondsUp) = o.etcd else {
      return .wait(.etcdNotRunning, "etcd is not running")
    }
    guard serving, let myID else {
      if case .refused(let reason) = o.stranded { return .wait(.strandedRefused, reason) }
      // etcd serves clients only once it has published itself through raft: a member restarted
      // without a quorum of the others never answers, which is not "starting".
      guard secondsUp >= o.settings.notServingAfter else { return .wait(.etcdStarting, "etcd is starting") }
      return .wait(
        .notServing,
        "etcd runs but serves no client: it answers only once a quorum of members lets it publish itself; waiting for enough members to return (a member whose pod was scaled away while the cluster was down returns only if scaled back up)"
      )
    }
    guard let cluster = o.cluster else {
      if let plan = StrandedDecision.plan(o, myID: myID) { return plan }
      return .wait(.noQuorum, "etcd runs but no quorum answers; waiting")
    }
    let notes = o.volume.notes
    if notes.memberID.map(ClusterIdentity.hex) != String(myID, radix: 16)
      || notes.clusterID.map(ClusterIdentity.hex) != String(cluster.clusterID, radix: 16) || !notes.served
    {
      return Plan(
        [.noteMember(memberID: myID, clusterID: cluster.clusterID)],
        because: .notingMember, "note which member of which cluster this volume's data is, and that its etcd served")
    }
    guard let me = cluster.member(myID) else {
      return .wait(
        .unlisted,
        "this member (\(String(myID, radix: 16))) is no longer listed; waiting for etcd to notice its removal")
    }
    if o.ownRejectsTokens {
      let why =
        "etcd refuses every auth token, even fresh ones: its simple-token provider stayed off after it recovered from a snapshot (etcd issue 13134); a restart turns it on"
      guard Quorum.canStop(me, in: cluster) else {
        return .wait(.tokenRestartLosesQuorum, "\(why), but stopping it now would lose quorum")
      }
      return Plan([.stopEtcd], because: .restartingForTokens, "\(why): restarting etcd on its data")
    }
    if !o.volume.notes.formed, let plan = formation(o, cluster: cluster, me: me) { return plan }
    if me.isLearner { return promotion(o, cluster: cluster, me: me, secondsUp: secondsUp) }
    if cluster.leaderID == myID,
      let plan = Reconciler.plan(o, cluster: cluster) ?? ConsistencyDecision.plan(o, cluster: cluster, myID: myID)
        ?? MaintenanceDecision.plan(o, cluster: cluster, myID: myID)
    {
      return plan
    }
    if case .absent = o.record, o.volume.notes.formed, cluster.leaderID == myID, me.isVoter {
      // Deleted with its StatefulSet or by hand: without it a lost volume could not tell a
      // formed cluster from none. The leader writes it again, from what it knows.
      return Plan(
        [
          .createRecord(
            ClusterRecord(
              token: o.volume.notes.token ?? "", clusterID: String(cluster.clusterID, radix: 16),
              memberIDs: cluster.members.map(\.hexID).sorted(), formedAt: o.now))
        ],
        because: .rewritingRecord,
        "the cluster record is missing (deleted with the StatefulSet, or by hand): writing it again from this formed member"
      )
    }
    if !me.peerURLs.contains(o.me.peerURL) {
      // etcd keeps the peer URL a member was added with; a pod restarted with another scheme,
      // peer port or cluster domain listens where its peers do not look. Nothing here can fix
      // that safely one pod at a time (the chart refuses such a change): say it.
      return .wait(
        .peerURLChanged,
        "\(o.me.name)'s peer URL in etcd's member list is \(me.peerURLs.joined(separator: ",")), but this pod now advertises \(o.me.peerURL) (TLS, the peer port or the cluster domain changed under a running cluster): its peers reach it only at the listed URL; restore the setting it was started with"
      )
    }
    return .wait(.healthy, "\(o.me.name) is a healthy \(cluster.leaderID == myID ? "leader" : "voter")")
  }

  /// Records the formation once a leader exists and a quorum of the bootstrap's members has
  /// started: from then on the cluster may have acknowledged writes (the others may never start:
  /// their node is lost; the reconciler replaces them later). The record is written only when
  /// its absence is known — a record that could not be read is read again, not taken as there.
  private static func formation(_ o: Observation, cluster: ClusterView, me: MemberView) -> Plan? {
    guard cluster.leaderID != nil else { return nil }
    if case .unknown = o.record { return nil }
    let existing: ClusterRecord? = if case .present(let record) = o.record { record } else { nil }
    if let marker = o.volume.notes.marker {
      let started = Set(cluster.members.filter(\.isStarted).map(\.name))
      let count = marker.members.filter { started.contains($0.name) }.count
      guard count >= Quorum.size(voters: marker.members.count) else { return nil }
      if existing != nil {
        return Plan(
          [.noteFormed(token: marker.token)], because: .notingFormation, "the cluster formed (its record exists)")
      }
      let record = ClusterRecord(
        token: marker.token, clusterID: String(cluster.clusterID, radix: 16),
        memberIDs: cluster.members.map(\.hexID).sorted(), formedAt: o.now)
      return Plan(
        (o.settings.enablesAuth ? [.enableAuth] : []) + [.createRecord(record), .noteFormed(token: marker.token)],
        because: .formed,
        "the cluster formed: a leader, and \(count) of its \(marker.members.count) bootstrap members started")
    }
    guard me.isVoter else { return nil }
    if let existing {
      return Plan(
        [.noteFormed(token: existing.token)], because: .joinedAsVoter,
        "this member joined the formed cluster as a voter")
    }
    let record = ClusterRecord(
      token: o.volume.notes.token ?? "", clusterID: String(cluster.clusterID, radix: 16),
      memberIDs: cluster.members.map(\.hexID).sorted(), formedAt: o.now)
    return Plan(
      [.createRecord(record), .noteFormed(token: o.volume.notes.token)],
      because: .joinedRecordMissing,
      "this member joined the formed cluster as a voter; its record is missing: writing it")
  }

  /// The joiner's own pilot promotes its learner: alive, up long enough, caught up.
  private static func promotion(_ o: Observation, cluster: ClusterView, me: MemberView, secondsUp: Double) -> Plan {
    if secondsUp < o.settings.minimumLearnerUptime {
      return .wait(
        .learnerStarting,
        "learner starting: its etcd is up \(Int(secondsUp * 1000)) ms; promoted once up \(Int(o.settings.minimumLearnerUptime * 1000)) ms and caught up"
      )
    }
    let leaderIndex = cluster.leader?.raftIndex ?? 0
    let lag = leaderIndex > me.raftIndex ? leaderIndex - me.raftIndex : 0
    guard cluster.leaderID != nil, me.isAlive, lag <= o.settings.promotableLag else {
      return .wait(
        .learnerBehind, "learner is \(lag) entries behind the leader; promoting at \(o.settings.promotableLag) or fewer"
      )
    }
    if o.restartLearnerBeforePromotion {
      return Plan(
        [.restartLearnerForAuth],
        because: .restartingLearnerForAuth,
        "learner caught up; with auth, its etcd is restarted once before the promotion: after catching up from a snapshot etcd leaves its token provider off until a restart (etcd issue 13134)"
      )
    }
    guard o.holdsLock else {
      return Plan([.acquireLock], because: .promotionNeedsLock, "promoting this learner needs the membership lock")
    }
    return Plan(
      [.promote(memberID: me.id), .releaseLock], because: .promoting,
      "learner caught up (\(lag) entries behind): promoting")
  }
}
