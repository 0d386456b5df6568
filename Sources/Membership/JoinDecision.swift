/// An empty volume and a cluster with quorum: clear this pod's earlier entry, then join as a
/// learner. Every change under the membership lock.
enum JoinDecision {
  static func plan(_ o: Observation, cluster: ClusterView) -> Plan {
    if !BootstrapDecision.formed(o), !cluster.members.allSatisfy(\.isStarted) {
      // A bootstrap is under way without this pod: wait until it has formed.
      return .wait("a cluster is forming without this pod; waiting for it to form before joining")
    }
    if let free = o.volume.freeBytes, o.largestDBSize > 0, free < 2 * o.largestDBSize {
      return .wait(
        "not enough free space to join: \(free) bytes free, need twice the database size (\(2 * o.largestDBSize) bytes)")
    }
    guard o.holdsLock else {
      return Plan([.acquireLock], because: "joining the cluster needs the membership lock")
    }
    // An empty data directory never takes over a listed member: its old entry goes first.
    if let stale = cluster.entries(of: o.me).first {
      guard Quorum.canRemove(stale, from: cluster) else {
        return .wait(
          "this pod's earlier member \(stale.label) (\(stale.hexID)) cannot be removed without losing quorum; waiting")
      }
      return Plan(
        [.removeMember(memberID: stale.id, name: stale.label)],
        because: "this volume is empty: member \(stale.hexID) is an earlier life of \(o.me.name) and must go before it joins again")
    }
    if let learner = cluster.learners.first {
      return .wait("learner \(learner.label) is joining; etcd allows one learner at a time")
    }
    let down = cluster.voters.filter { !$0.isAlive }
    if let dead = down.first(where: { !o.isOwned($0) }), Quorum.canRemove(dead, from: cluster) {
      return Plan(
        [.removeMember(memberID: dead.id, name: dead.label)],
        because: "dead member \(dead.label) belongs to no desired pod and blocks every add")
    }
    if let blocker = down.first {
      return .wait("add blocked by down voter \(blocker.label): etcd adds only while every voter is connected")
    }
    return Plan([.addLearner], because: "joining the cluster as a learner")
  }
}
