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
/// persisted and discards the rest, so the decision is made on the WAL as it lies on disk once
/// etcd has closed it: etcd does not sync a state record whose only change is the commit index,
/// and a running etcd may hold the last one in memory. So etcd is first stopped gracefully
/// (``Step/stopEtcdBeforeForcing``); if it had to be killed, nothing is forced. Then the WAL is
/// read (``LogTail``): entries beyond the commit index are safe to discard only if this member
/// wrote them as leader (the other never acknowledged them, so they were never committed); and
/// on etcd that drops entries its backend already applied (before 3.5.22 and 3.6.1, etcd issue
/// 14009) the backend must not be ahead of the WAL's commit. Otherwise the member waits and says
/// how out — scaling back to two, so that the other member returns with its data and its removal
/// commits.
///
/// The path needs an etcd that has served without a break since the quorum went: one that
/// restarts without a quorum never serves (it cannot publish itself), so a crash that lost an
/// unsynced commit index cannot lead here.
///
/// That the cluster formed may be known from its record or a peer only: a pilot that polled
/// before the first leader and then lost quorum never noted the formation on its volume.
public enum StrandedDecision {
  /// What every refusal to continue alone says; `etcd-pilot verify` reports it.
  public static let refusalMarker = "not continuing alone"

  /// etcd serves, no quorum answers: stop etcd first if this is the stranded case.
  static func plan(_ o: Observation, myID: UInt64) -> Plan? {
    guard let other = strandedPeer(o, myID: myID) else { return nil }
    if case .refused(let reason) = o.stranded { return .wait(.strandedRefused, reason) }
    let why = reason(other)
    guard o.secondsWithoutQuorum >= o.settings.strandedAfter else {
      return .wait(
        .strandedWaiting,
        "\(why); continuing alone if it is still so after \(Int(o.settings.strandedAfter)) s (now \(Int(o.secondsWithoutQuorum)) s)"
      )
    }
    return Plan(
      [.stopEtcdBeforeForcing],
      because:
        .strandedStopping,
      "\(why); stopping etcd gracefully first: --force-new-cluster discards what lies beyond the commit index on disk, so the WAL is read once etcd has closed (and synced) it",
      remembering: .strandedStopping(other: other.label))
  }

  /// etcd is stopped inside the procedure: read its WAL, then continue alone or refuse. `nil`
  /// once refused: etcd then starts on its data as usual, and waits.
  static func afterStop(_ o: Observation, _ progress: StrandedProgress) -> Plan? {
    let other: String
    switch progress {
    case .refused:
      return nil
    case .stopping(let name):
      return refusal(
        "etcd was stopped, but not by the pilot's graceful stop, so its WAL may lack its last commit index", other: name
      )
    case .stopped(let name, let clean):
      guard clean else {
        return refusal(
          "etcd did not exit on SIGTERM within its grace and was killed: its WAL may lack the last commit index it knew, and --force-new-cluster would discard the writes that index covers",
          other: name)
      }
      other = name
    }
    let why = reason(other)
    if let problem = o.ownLogProblem {
      return refusal("this member's WAL could not be read (\(problem))", other: other)
    }
    guard let tail = o.ownLogTail else {
      return Plan(
        [.readOwnLog], because: .strandedReadingLog,
        "\(why); etcd stopped cleanly: reading its WAL, since --force-new-cluster discards what lies beyond its commit index"
      )
    }
    guard let myID = o.myMemberID else {
      return refusal("neither this pod's notes nor its WAL say which member its data is", other: other)
    }
    if tail.beyondCommit > 0, tail.leadersBeyondCommit != [myID] {
      return refusal(
        "this member's WAL holds \(tail.beyondCommit) entries beyond its commit index \(tail.commit) not written by this member as their leader: that leader may have committed and acknowledged them, and --force-new-cluster would discard them",
        other: other)
    }
    if let applied = tail.appliedIndex, applied > tail.commit, !EtcdRelease.keepsAppliedEntriesWhenForced(o.etcdVersion)
    {
      return refusal(
        "its backend applied entries up to \(applied), beyond the WAL's commit index \(tail.commit): etcd \(o.etcdVersion ?? "of this version") would drop them from the log on --force-new-cluster and new members would miss them (etcd issue 14009, fixed in 3.5.22 and 3.6.1)",
        other: other)
    }
    let discarded =
      tail.beyondCommit == 0
      ? "" : " (the \(tail.beyondCommit) entries it holds beyond its commit index are its own uncommitted proposals)"
    return Plan(
      [.forceNewCluster(removing: other)],
      because: .forcingNewCluster,
      "\(why); with two voters every committed entry is on this member\(discarded): starting its etcd once with --force-new-cluster"
    )
  }

  /// The other voter of a two-voter cluster scaled to one, gone with its pod, when this member
  /// is stranded by it.
  private static func strandedPeer(_ o: Observation, myID: UInt64) -> MemberView? {
    guard !o.stopping, o.desired.count == 1, o.me.ordinal == 0, BootstrapDecision.formed(o),
      let members = o.ownMemberList, members.count == 2, members.allSatisfy({ !$0.isLearner }),
      members.contains(where: { $0.id == myID }),
      let other = members.first(where: { $0.id != myID }),
      let pod = o.owner(of: other), pod.ordinal >= 1, o.phase(ofOrdinal: pod.ordinal) == .absent
    else { return nil }
    return other
  }

  private static func reason(_ other: MemberView) -> String { reason(other.label) }

  private static func reason(_ other: String) -> String {
    "no quorum: the only other voter, \(other), left with its pod before its removal committed, and a two-voter change needs both"
  }

  /// Refuses to continue alone: etcd starts again on its data and the pilot waits, saying how
  /// out, until a quorum answers.
  private static func refusal(_ what: String, other: String) -> Plan {
    let reason =
      "\(Self.reason(other)); \(refusalMarker): \(what). Scale back to 2 so that \(other) returns with its data; its removal can then commit"
    return Plan(
      [.startEtcd(.fromData)], because: .strandedRefused, "\(reason) (etcd starts again on its data meanwhile)",
      remembering: .strandedRefused(reason))
  }
}
