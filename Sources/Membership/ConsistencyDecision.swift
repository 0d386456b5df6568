/// What the reconciler does with a ``ConsistencyReading``: a voter whose data hashes differently
/// from a quorum of voters that agree is replaced — removed, so that its pod moves the data aside
/// and joins again from a fresh copy. Nobody is replaced unless a quorum of all voters agrees on
/// one hash: which side is right is not a guess.
public enum ConsistencyDecision {
  public enum Verdict: Hashable, Sendable {
    case consistent
    /// `members` differ from the hash that `agreeing` voters share.
    case diverged(members: [MemberView], hash: UInt32, agreeing: [MemberView])
    case undecided(String)
  }

  public static func verdict(_ reading: ConsistencyReading, cluster: ClusterView) -> Verdict {
    // Releases may hash differently (3.4 and 3.5 differ in what HashKV covers): while the
    // voters run mixed versions nothing is compared.
    let versions = Set(
      cluster.voters.compactMap(\.version).map { $0.split(separator: ".").prefix(2).joined(separator: ".") })
    guard versions.count <= 1 else {
      return .undecided(
        "the voters run different etcd versions (\(versions.sorted().joined(separator: ", "))); comparing once they run one"
      )
    }
    let answered = cluster.voters.compactMap { voter in reading.hashes[voter.id].map { (member: voter, hash: $0) } }
    guard answered.count >= 2 else { return .consistent }
    guard Set(answered.map(\.hash.compactRevision)).count == 1 else {
      return .undecided("the voters answered from different compactions; comparing again next time")
    }
    let groups = Dictionary(grouping: answered, by: \.hash.hash)
    guard groups.count > 1 else { return .consistent }
    // The largest group, ties broken by hash so the verdict does not depend on ordering.
    let (hash, agreeing) = groups.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!
    guard agreeing.count >= Quorum.size(voters: cluster.voters.count) else {
      let sides = groups.sorted { $0.key < $1.key }.map { group in
        "\(group.value.map(\.member.label).sorted().joined(separator: ", ")): \(hex(group.key))"
      }
      return .undecided(
        "the voters' data differ at revision \(reading.revision) and no quorum of \(Quorum.size(voters: cluster.voters.count)) agrees (\(sides.joined(separator: "; "))): not replacing anyone; restore from a backup if it stays so"
      )
    }
    let diverged = answered.filter { $0.hash.hash != hash }.map(\.member)
    return .diverged(members: diverged, hash: hash, agreeing: agreeing.map(\.member))
  }

  /// A plan when a diverged voter is to be replaced, or when the voters disagree with no quorum;
  /// `nil` when the last reading found nothing.
  static func plan(_ o: Observation, cluster: ClusterView, myID: UInt64) -> Plan? {
    // Paused (desired 0, the StatefulSet going, the API away): nothing is removed.
    guard let reading = o.consistency, let desired = o.desired.count, desired > 0 else { return nil }
    switch verdict(reading, cluster: cluster) {
    case .consistent:
      return nil
    case .undecided(let why):
      return .wait(.consistencyUndecided, "consistency check: \(why)")
    case .diverged(let members, let hash, let agreeing):
      let names = agreeing.map(\.label).sorted().joined(separator: ", ")
      func why(_ member: MemberView) -> String {
        "\(member.label)'s data diverged: its HashKV at revision \(reading.revision) is \(hex(reading.hashes[member.id]?.hash ?? 0)), the \(agreeing.count) voters \(names) agree on \(hex(hash))"
      }
      if let me = members.first(where: { $0.id == myID }) {
        // The leader holds every committed entry raft gave it; the members that outvote it may
        // have replayed a log that lost what it applied (etcd issue 14009). A hash vote alone
        // never removes the leader: a person decides.
        return .wait(
          .divergedLeader,
          "consistency check: \(why(me)); this member leads, and a leader is never replaced on a hash vote alone: compare the members' data (etcd-pilot backup of each) and replace the wrong one by hand"
        )
      }
      guard o.settings.replacesDivergedMembers else {
        return .wait(
          .divergedReportOnly, "consistency check: \(why(members[0])); reporting only (the check's action is report)")
      }
      // The same verdict at two revisions: one reading could have caught a member mid-apply.
      guard let previous = o.previousDivergence, previous.revision != reading.revision,
        previous.members == Set(members.map(\.id))
      else {
        return .wait(
          .divergedConfirming, "consistency check: \(why(members[0])); reading again at another revision before acting")
      }
      let member = members[0]
      guard Quorum.canRemove(member, from: cluster) else {
        return .wait(
          .divergedRemovalLosesQuorum, "consistency check: \(why(member)); removing it now would lose quorum")
      }
      guard o.holdsLock else {
        return Plan(
          [.acquireLock], because: .divergedNeedsLock, "consistency check: \(why(member)); it must be replaced")
      }
      return Plan(
        [.removeMember(memberID: member.id, name: member.label)],
        because: .removingDiverged,
        "consistency check: \(why(member)), at revisions \(previous.revision) and \(reading.revision): removing it, so that its pod moves the data aside and joins again from a fresh copy"
      )
    }
  }

  static func hex(_ hash: UInt32) -> String { String(hash, radix: 16) }
}
