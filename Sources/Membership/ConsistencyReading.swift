/// Every voter's HashKV at one revision, as the pilot beside the leader read it: the data each
/// member applied, compared. Raft gives every member the same log; a member that applied it
/// differently — etcd 3.5.0–3.5.2 could skip writes it had applied when killed under load (etcd
/// issue 13766), a disk can rot — hashes differently from the others at the same revision.
public struct ConsistencyReading: Sendable, Hashable {
  public struct Hash: Sendable, Hashable {
    public var hash: UInt32
    /// Hashes are comparable only over the same history: from the same compaction on.
    public var compactRevision: Int64

    public init(hash: UInt32, compactRevision: Int64) {
      self.hash = hash
      self.compactRevision = compactRevision
    }
  }

  /// The revision every hash was computed at: the lowest current revision among the voters.
  public var revision: Int64
  /// By member ID; members that did not answer are absent.
  public var hashes: [UInt64: Hash]
  /// When it was read (seconds since 1970).
  public var readAt: Double

  public init(revision: Int64, hashes: [UInt64: Hash], readAt: Double) {
    self.revision = revision
    self.hashes = hashes
    self.readAt = readAt
  }
}
