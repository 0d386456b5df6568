/// A cluster of two voters scaled to one, whose leaving member died before its removal
/// committed: a configuration change of two voters needs both, so the remaining member can
/// neither remove it nor elect itself, and the leaving pod, scaled away, never returns.
///
/// The remaining member holds every committed entry — with two voters a quorum is both — so it
/// may continue alone, restarted once with `--force-new-cluster`, and no acknowledged write is
/// lost. Nothing can split: the member left behind has one vote of two and can commit nothing,
/// and once alone this member no longer counts it. Only then, and only for two voters: with
/// more, the members left may all have missed a committed entry.
///
/// etcd's `--force-new-cluster` keeps only the entries up to the commit index this member
/// persisted. Entries beyond it are discarded, which is safe only if they are this member's own
/// proposals as leader (never acknowledged by the other, so never committed): the WAL is read
/// first (``LogTail``), and if another leader wrote them the member waits and says how out —
/// scaling back to two, so that the other member returns with its data and its removal commits.
///
/// That the cluster formed may be known from its record or a peer only: a pilot that polled
/// before the first leader and then lost quorum never noted the formation on its volume.
public enum StrandedDecision {
  /// How the wait reason starts when this member will not continue alone because its WAL holds
  /// entries another leader wrote. `etcd-pilot verify` looks for it in the pilot's log to do what
  /// the pilot then asks (scale back to two).
  public static let refusalMarker = "not continuing alone: this member's WAL holds"

  static func plan(_ o: Observation, myID: UInt64) -> Plan? {
    guard !o.stopping, o.desired.count == 1, o.me.ordinal == 0, BootstrapDecision.formed(o),
      let members = o.ownMemberList, members.count == 2, members.allSatisfy({ !$0.isLearner }),
      members.contains(where: { $0.id == myID }),
      let other = members.first(where: { $0.id != myID }),
      let pod = o.owner(of: other), pod.ordinal >= 1, o.phase(ofOrdinal: pod.ordinal) == .absent
    else { return nil }
    let why =
      "no quorum: the only other voter, \(other.label), left with its pod before its removal committed, and a two-voter change needs both"
    guard o.secondsWithoutQuorum >= o.settings.strandedAfter else {
      return .wait(
        "\(why); continuing alone if it is still so after \(Int(o.settings.strandedAfter)) s (now \(Int(o.secondsWithoutQuorum)) s)")
    }
    // etcd's --force-new-cluster discards what lies beyond the commit index this member
    // persisted: entries the other voter, if it was their leader, may have committed and
    // acknowledged. Look before leaping.
    if let problem = o.ownLogProblem {
      return .wait("\(why); not continuing alone: this member's WAL could not be read (\(problem))")
    }
    guard let tail = o.ownLogTail else {
      return Plan([.readOwnLog], because: "\(why); reading this member's WAL first: --force-new-cluster discards what lies beyond its commit index")
    }
    if tail.beyondCommit > 0, tail.leadersBeyondCommit != [myID] {
      return .wait(
        "\(why); \(refusalMarker) \(tail.beyondCommit) entries beyond its commit index \(tail.commit) not written by this member as their leader: that leader may have committed and acknowledged them, and --force-new-cluster would discard them. Scale back to 2 so that \(other.label) returns with its data; its removal can then commit")
    }
    let discarded = tail.beyondCommit == 0 ? "" : " (the \(tail.beyondCommit) entries it holds beyond its commit index are its own uncommitted proposals)"
    return Plan(
      [.forceNewCluster(removing: other.label)],
      because: "\(why); with two voters every committed entry is on this member\(discarded): restarting its etcd once with --force-new-cluster")
  }
}
