/// Quorum arithmetic as etcd applies it to membership changes.
public enum Quorum {
  /// Votes needed among `voters` voting members.
  public static func size(voters: Int) -> Int { voters / 2 + 1 }

  /// Whether removing `member` leaves enough alive voters for a quorum of the new configuration.
  ///
  /// etcd refuses a removal unless the remaining started voters, as the receiving member sees
  /// them, are a quorum of the new size, also when the removed member is dead; and it never
  /// removes the last member. Learners can always go.
  public static func canRemove(_ member: MemberView, from cluster: ClusterView) -> Bool {
    if member.isLearner { return !cluster.voters.isEmpty }
    let remaining = cluster.voters.filter { $0.id != member.id }
    guard !remaining.isEmpty else { return false }
    let alive = remaining.filter { $0.isAlive && $0.isStarted }.count
    return alive >= size(voters: remaining.count)
  }

  /// Whether the other alive voters keep a quorum while `member` is stopped (it stays listed).
  public static func canStop(_ member: MemberView, in cluster: ClusterView) -> Bool {
    if member.isLearner { return true }
    return cluster.voters.filter { $0.id != member.id && $0.isAlive }.count >= size(voters: cluster.voters.count)
  }

  /// Whether the alive voters form a quorum now.
  public static func hasQuorum(_ cluster: ClusterView) -> Bool {
    cluster.voters.filter(\.isAlive).count >= size(voters: cluster.voters.count)
  }
}
