/// An empty volume and a cluster with quorum: clear this pod's earlier entry, then join as a
/// learner. Every change under the membership lock.
public enum JoinDecision {
  static func plan(_ o: Observation, cluster: ClusterView) -> Plan {
    if !BootstrapDecision.formed(o), !cluster.members.allSatisfy(\.isStarted) {
      // A bootstrap is under way without this pod: wait until it has formed.
      return .wait(.formingWithoutMe, "a cluster is forming without this pod; waiting for it to form before joining")
    }
    if let plan = space(o) { return plan }
    // What to change, decided before taking the lock: a pod that would only wait leaves the
    // lock to the others (the learner it waits for needs it to be promoted).
    let change: Plan
    if let stale = cluster.entries(of: o.me).first {
      // An empty data directory never takes over a listed member: its old entry goes first.
      guard Quorum.canRemove(stale, from: cluster) else {
        return .wait(
          .staleEntryLosesQuorum,
          "this pod's earlier member \(stale.label) (\(stale.hexID)) cannot be removed without losing quorum; waiting")
      }
      change = Plan(
        [.removeMember(memberID: stale.id, name: stale.label)],
        because: .removingStaleEntry,
        "this volume is empty: member \(stale.hexID) is an earlier life of \(o.me.name) and must go before it joins again"
      )
    } else if let learner = cluster.learners.first {
      return .wait(.learnerJoining, "learner \(learner.label) is joining; etcd allows one learner at a time")
    } else if let dead = cluster.voters.first(where: { !$0.isAlive && !o.isOwned($0) }),
      Quorum.canRemove(dead, from: cluster)
    {
      change = Plan(
        [.removeMember(memberID: dead.id, name: dead.label)],
        because: .removingUnownedDead, "dead member \(dead.label) belongs to no desired pod and blocks every add")
    } else if let blocker = cluster.voters.first(where: { !$0.isAlive }) {
      return .wait(
        .downVoterBlocksAdd, "add blocked by down voter \(blocker.label): etcd adds only while every voter is connected"
      )
    } else {
      change = Plan([.addLearner], because: .joiningAsLearner, "joining the cluster as a learner")
    }
    guard o.holdsLock else {
      return Plan([.acquireLock], because: .joinNeedsLock, "joining the cluster needs the membership lock")
    }
    return change
  }

  /// Bytes a join needs free: the incoming snapshot (the largest member's database) and a tenth
  /// more for what is applied after it, two preallocated WAL segments, and a margin.
  public static func spaceNeeded(largestDBSize: Int64) -> Int64 {
    largestDBSize + largestDBSize / 10 + 2 * walSegmentBytes + spaceMargin
  }

  static let walSegmentBytes: Int64 = 64 << 20
  static let spaceMargin: Int64 = 32 << 20

  /// Before a join that cannot finish: make room by deleting redundant aside copies (oldest
  /// first), or wait and say what to do. Never a join that runs out of space half-way.
  static func space(_ o: Observation) -> Plan? {
    guard let free = o.volume.freeBytes else { return nil }
    let needed = spaceNeeded(largestDBSize: o.largestDBSize)
    guard free < needed else { return nil }
    let what =
      "joining needs \(mib(needed)) free (a snapshot of the \(mib(o.largestDBSize)) database, two 64 MiB WAL segments, a margin), the volume has \(mib(free))"
    var reclaimed: Int64 = 0
    var doomed: [String] = []
    for copy in o.volume.aside where copy.redundant && free + reclaimed < needed {
      doomed.append(copy.name)
      reclaimed += copy.bytes
    }
    if free + reclaimed >= needed {
      return Plan(
        [.deleteAsideCopies(doomed)],
        because: .deletingRedundantAside,
        "\(what): deleting the aside copies \(doomed.joined(separator: ", ")) (made while the cluster held every committed entry without them) to make room"
      )
    }
    let kept = o.volume.aside.filter { !$0.redundant }.map(\.name)
    let advice =
      kept.isEmpty
      ? "give the volume more space"
      : "the aside copies \(kept.joined(separator: ", ")) may hold data no member has: copy them off the volume and delete them, or give the volume more space"
    return .wait(.notEnoughSpace, "not enough free space to join: \(what); \(advice)")
  }

  static func mib(_ bytes: Int64) -> String { "\((bytes + (1 << 19)) >> 20) MiB" }

  /// The `--initial-cluster` a new learner starts with: every member of the list the add
  /// returned, by name and first peer URL; the learner under this pod's name, members that have
  /// not started yet under a name made from their ID (etcd needs one for each).
  public static func initialCluster(after members: [MemberView], added: UInt64, me: PodIdentity) -> String {
    members.map { member in
      let name = member.id == added ? me.name : (member.name.isEmpty ? "m-\(member.hexID)" : member.name)
      return "\(name)=\(member.peerURLs.first ?? "")"
    }.joined(separator: ",")
  }
}
