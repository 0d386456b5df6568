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
    // What to change, decided before taking the lock: a pod that would only wait leaves the
    // lock to the others (the learner it waits for needs it to be promoted).
    let change: Plan
    if let stale = cluster.entries(of: o.me).first {
      // An empty data directory never takes over a listed member: its old entry goes first.
      guard Quorum.canRemove(stale, from: cluster) else {
        return .wait(
          "this pod's earlier member \(stale.label) (\(stale.hexID)) cannot be removed without losing quorum; waiting",
          releasing: o.holdsLock)
      }
      change = Plan(
        [.removeMember(memberID: stale.id, name: stale.label)],
        because: "this volume is empty: member \(stale.hexID) is an earlier life of \(o.me.name) and must go before it joins again")
    } else if let learner = cluster.learners.first {
      return .wait("learner \(learner.label) is joining; etcd allows one learner at a time", releasing: o.holdsLock)
    } else if let dead = cluster.voters.first(where: { !$0.isAlive && !o.isOwned($0) }), Quorum.canRemove(dead, from: cluster) {
      change = Plan(
        [.removeMember(memberID: dead.id, name: dead.label)],
        because: "dead member \(dead.label) belongs to no desired pod and blocks every add")
    } else if let blocker = cluster.voters.first(where: { !$0.isAlive }) {
      return .wait(
        "add blocked by down voter \(blocker.label): etcd adds only while every voter is connected", releasing: o.holdsLock)
    } else {
      change = Plan([.addLearner], because: "joining the cluster as a learner")
    }
    guard o.holdsLock else {
      return Plan([.acquireLock], because: "joining the cluster needs the membership lock")
    }
    return change
  }
}
