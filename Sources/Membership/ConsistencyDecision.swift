/// What the reconciler does with a ``ConsistencyReading``: a voter whose data hashes differently
/// from a quorum of voters that agree is replaced — removed, so that its pod moves the data aside
/// and joins again from a fresh copy. Nobody is replaced unless a quorum of all voters agrees on
/// one hash: which side is right is not a guess.
enum ConsistencyDecision {
  enum Verdict: Hashable {
    case consistent
    /// `members` differ from the hash that `agreeing` voters share.
    case diverged(members: [MemberView], hash: UInt32, agreeing: [MemberView])
    case undecided(String)
  }

  static func verdict(_ reading: ConsistencyReading, cluster: ClusterView) -> Verdict {
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
        "the voters' data differ at revision \(reading.revision) and no quorum of \(Quorum.size(voters: cluster.voters.count)) agrees (\(sides.joined(separator: "; "))): not replacing anyone; restore from a backup if it stays so")
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
      return .wait("consistency check: \(why)", releasing: o.holdsLock)
    case .diverged(let members, let hash, let agreeing):
      let names = agreeing.map(\.label).sorted().joined(separator: ", ")
      func why(_ member: MemberView) -> String {
        "\(member.label)'s data diverged: its HashKV at revision \(reading.revision) is \(hex(reading.hashes[member.id]?.hash ?? 0)), the \(agreeing.count) voters \(names) agree on \(hex(hash))"
      }
      if let me = members.first(where: { $0.id == myID }) {
        // The leader's own data: another leader removes it.
        guard let successor = agreeing.filter({ $0.isAlive }).max(by: { $0.raftIndex < $1.raftIndex }) else {
          return .wait("consistency check: \(why(me)); no agreeing voter answers to hand leadership to", releasing: o.holdsLock)
        }
        return Plan(
          (o.holdsLock ? [.releaseLock] : []) + [.moveLeader(to: successor.id)],
          because: "consistency check: \(why(me)): handing leadership to \(successor.label), whose pilot will replace this member")
      }
      let member = members[0]
      guard Quorum.canRemove(member, from: cluster) else {
        return .wait("consistency check: \(why(member)); removing it now would lose quorum", releasing: o.holdsLock)
      }
      guard o.holdsLock else {
        return Plan([.acquireLock], because: "consistency check: \(why(member)); it must be replaced")
      }
      return Plan(
        [.removeMember(memberID: member.id, name: member.label)],
        because: "consistency check: \(why(member)): removing it, so that its pod moves the data aside and joins again from a fresh copy")
    }
  }

  static func hex(_ hash: UInt32) -> String { String(hash, radix: 16) }
}
