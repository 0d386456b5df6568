/// The reconciler: active only in the pilot beside the raft leader. It removes members no
/// desired pod owns (dead first, then highest ordinal first) and learners that died or stalled,
/// one change per plan, under the membership lock, never breaking quorum.
public enum Reconciler {
  /// A plan when there is something to change or report; `nil` when all is as desired.
  public static func plan(_ o: Observation, cluster: ClusterView) -> Plan? {
    guard let desired = o.desired.count, desired > 0 else { return nil }
    let myID = o.myMemberID
    var removable: [(member: MemberView, why: String, ordinal: Int)] = []
    var blocked: [String] = []
    for member in cluster.members where member.id != myID && !o.isOwned(member) {
      let pod = o.owner(of: member)
      let state = pod.flatMap { o.phase(ofOrdinal: $0.ordinal) }
      // Act only on members whose pod is gone or going: a running pod above the desired count is
      // leaving by itself.
      let gone = pod == nil || state == .absent || state == .terminating || (state == nil && !member.isAlive)
      guard gone else { continue }
      let why =
        pod == nil
        ? "no pod owns it"
        : "its pod \(pod!.name) is \(state?.rawValue ?? "gone") and above \(desired) desired replicas"
      removable.append((member, why, pod?.ordinal ?? Int.max))
    }
    // A bootstrap member whose pod never brought it up (its node lost, its etcd failing at
    // start): once the cluster formed, it is replaced like a stalled learner; its pod, if it
    // returns, finds itself removed and joins anew.
    for voter in cluster.voters
    where voter.id != myID && !voter.isStarted && o.isOwned(voter) && BootstrapDecision.formed(o) {
      let stalled = o.stalledSeconds[voter.id] ?? 0
      if stalled >= o.settings.stalledLearnerTimeout {
        removable.append((voter, "a bootstrap member that never started in \(Int(stalled))s", -1))
      }
    }
    for learner in cluster.learners where learner.id != myID && o.isOwned(learner) {
      let stalled = o.stalledSeconds[learner.id] ?? 0
      if !learner.isAlive, stalled >= 30 {
        removable.append((learner, "learner dead for \(Int(stalled))s", -1))
      } else if stalled >= o.settings.stalledLearnerTimeout {
        removable.append((learner, "learner made no progress for \(Int(stalled))s", -1))
      }
    }
    guard !removable.isEmpty else { return nil }
    // Dead first (a live member cannot go while a dead one is listed), then highest ordinal.
    let ordered = removable.sorted { lhs, rhs in
      if lhs.member.isAlive != rhs.member.isAlive { return !lhs.member.isAlive }
      return lhs.ordinal > rhs.ordinal
    }
    for candidate in ordered {
      guard Quorum.canRemove(candidate.member, from: cluster) else {
        blocked.append("\(candidate.member.label) (\(candidate.why)): removal would lose quorum")
        continue
      }
      guard o.holdsLock else {
        return Plan(
          [.acquireLock], because: .reconcilerNeedsLock,
          "reconciler: \(candidate.member.label) must go (\(candidate.why))")
      }
      return Plan(
        [.removeMember(memberID: candidate.member.id, name: candidate.member.label)],
        because: .reconcilerRemoving,
        "reconciler: removing \(candidate.member.label) (\(candidate.member.hexID)): \(candidate.why)")
    }
    return Plan([.wait], because: .reconcilerBlocked, "reconciler blocked: " + blocked.joined(separator: "; "))
  }
}
