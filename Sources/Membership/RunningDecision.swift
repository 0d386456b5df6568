/// etcd runs: record the formation, promote this pod's own learner once caught up, and, beside
/// the raft leader, reconcile the membership.
enum RunningDecision {
  static func plan(_ o: Observation) -> Plan {
    guard case .running(let serving, let myID, let secondsUp) = o.etcd else { return .wait("etcd is not running") }
    guard serving, let myID else {
      // etcd serves clients only once it has published itself through raft: a member restarted
      // without a quorum of the others never answers, which is not "starting".
      guard secondsUp >= o.settings.notServingAfter else { return .wait("etcd is starting") }
      return .wait(
        "etcd runs but serves no client: it answers only once a quorum of members lets it publish itself; waiting for enough members to return (a member whose pod was scaled away while the cluster was down returns only if scaled back up)")
    }
    guard let cluster = o.cluster else {
      if let plan = StrandedDecision.plan(o, myID: myID) { return plan }
      return .wait("etcd runs but no quorum answers; waiting")
    }
    if o.volume.notes.memberID != String(myID, radix: 16) {
      return Plan([.noteMemberID(myID)], because: "note which member this volume's data is")
    }
    guard let me = cluster.member(myID) else {
      return .wait("this member (\(String(myID, radix: 16))) is no longer listed; waiting for etcd to notice its removal")
    }
    if o.ownRejectsTokens {
      let why = "etcd refuses every auth token, even fresh ones: its simple-token provider stayed off after it recovered from a snapshot (etcd issue 13134); a restart turns it on"
      guard Quorum.canStop(me, in: cluster) else {
        return .wait("\(why), but stopping it now would lose quorum", releasing: o.holdsLock)
      }
      return Plan(o.holdsLock ? [.releaseLock, .stopEtcd] : [.stopEtcd], because: "\(why): restarting etcd on its data")
    }
    if !o.volume.notes.formed, let plan = formation(o, cluster: cluster, me: me) { return plan }
    if me.isLearner { return promotion(o, cluster: cluster, me: me, secondsUp: secondsUp) }
    if cluster.leaderID == myID, let plan = Reconciler.plan(o, cluster: cluster) ?? ConsistencyDecision.plan(o, cluster: cluster, myID: myID) {
      return plan
    }
    if o.holdsLock { return Plan([.releaseLock], because: "nothing left to change") }
    if o.volume.asideCopies > 1, o.volume.notes.formed {
      return Plan([.pruneAsideCopies(keep: 1)], because: "this pod is a healthy member again; older aside copies may go")
    }
    return .wait("\(o.me.name) is a healthy \(cluster.leaderID == myID ? "leader" : "voter")")
  }

  /// Records the formation once the leader exists and every bootstrap member has started.
  private static func formation(_ o: Observation, cluster: ClusterView, me: MemberView) -> Plan? {
    guard cluster.leaderID != nil else { return nil }
    if let marker = o.volume.notes.marker {
      let started = Set(cluster.members.filter(\.isStarted).map(\.name))
      guard marker.members.allSatisfy({ started.contains($0.name) }) else { return nil }
      let record = ClusterRecord(
        token: marker.token, clusterID: String(cluster.clusterID, radix: 16),
        memberIDs: cluster.members.map(\.hexID).sorted(), formedAt: o.now)
      return Plan([.recordFormation(record)], because: "the cluster formed: a leader and every bootstrap member started")
    }
    guard me.isVoter else { return nil }
    let record: ClusterRecord? =
      if case .present(let existing) = o.record { existing } else { nil }
    return Plan(
      [.recordFormation(record ?? ClusterRecord(
        token: o.volume.notes.token ?? "", clusterID: String(cluster.clusterID, radix: 16),
        memberIDs: cluster.members.map(\.hexID).sorted(), formedAt: o.now))],
      because: "this member joined the formed cluster as a voter")
  }

  /// The joiner's own pilot promotes its learner: alive, up long enough, caught up.
  private static func promotion(_ o: Observation, cluster: ClusterView, me: MemberView, secondsUp: Double) -> Plan {
    if secondsUp < o.settings.minimumLearnerUptime {
      return .wait(
        "learner starting: its etcd is up \(Int(secondsUp * 1000)) ms; promoted once up \(Int(o.settings.minimumLearnerUptime * 1000)) ms and caught up",
        releasing: o.holdsLock)
    }
    let leaderIndex = cluster.leader?.raftIndex ?? 0
    let lag = leaderIndex > me.raftIndex ? leaderIndex - me.raftIndex : 0
    guard cluster.leaderID != nil, me.isAlive, lag <= o.settings.promotableLag else {
      return .wait(
        "learner is \(lag) entries behind the leader; promoting at \(o.settings.promotableLag) or fewer", releasing: o.holdsLock)
    }
    if o.restartLearnerBeforePromotion {
      return Plan(
        o.holdsLock ? [.releaseLock, .stopEtcd] : [.stopEtcd],
        because:
          "learner caught up; with auth, its etcd is restarted once before the promotion: after catching up from a snapshot etcd leaves its token provider off until a restart (etcd issue 13134)")
    }
    guard o.holdsLock else { return Plan([.acquireLock], because: "promoting this learner needs the membership lock") }
    return Plan([.promote(memberID: me.id), .releaseLock], because: "learner caught up (\(lag) entries behind): promoting")
  }
}
