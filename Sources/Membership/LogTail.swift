/// What this member's raft log holds beyond the commit index it persisted, read from its WAL.
///
/// etcd's `--force-new-cluster` keeps only the entries up to that commit index and discards the
/// rest. With two voters an entry is committed once both hold it, so a leader may have committed
/// — and acknowledged to a client — an entry that this member holds without having heard it was
/// committed. Those entries are safe to discard only if this member was their leader: its own
/// proposals that the other member never acknowledged, so never committed.
public struct LogTail: Sendable, Hashable {
  /// The commit index of the WAL's last state record.
  public var commit: UInt64
  /// The index of the WAL's last entry.
  public var lastIndex: UInt64
  /// For each term of an entry beyond `commit`: the member this one voted for in that term (0
  /// when the WAL records no vote). With two voters, a term's leader needed this member's vote,
  /// so this is who wrote the entry. (Not so if the term began with more voters and this member
  /// lost its own campaign to a leader later removed within the same term: a narrow case that the
  /// vote alone cannot tell apart; the pilot's observed term and leader would.)
  public var leadersBeyondCommit: Set<UInt64>

  /// The last index the member's backend recorded as applied (its `consistent_index`), when the
  /// backend could be read.
  public var appliedIndex: UInt64?

  public init(commit: UInt64, lastIndex: UInt64, leadersBeyondCommit: Set<UInt64>, appliedIndex: UInt64? = nil) {
    self.commit = commit
    self.lastIndex = lastIndex
    self.leadersBeyondCommit = leadersBeyondCommit
    self.appliedIndex = appliedIndex
  }

  /// Entries that `--force-new-cluster` would discard.
  public var beyondCommit: UInt64 { lastIndex > commit ? lastIndex - commit : 0 }
}
