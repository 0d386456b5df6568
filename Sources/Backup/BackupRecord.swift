/// What is known of one backup, written beside it as `<file>.json`: where it came from, what
/// it holds, and its checksum — what an operator checks before restoring it.
public struct BackupRecord: Sendable, Hashable, Codable {
  /// The backup file's name (in the same folder).
  public var file: String
  /// Bytes, including the 32-byte SHA-256 etcd appends.
  public var size: Int64
  /// The SHA-256 of the database, as etcd appended it and as checked while writing (hex).
  public var sha256: String
  /// The cluster and the member it was taken from (hex IDs, as etcd prints them).
  public var clusterID: String
  public var memberID: String
  public var memberName: String
  /// The member's client URL the snapshot was streamed from.
  public var endpoint: String
  /// Whether that member led the cluster when asked.
  public var fromLeader: Bool
  /// The member's etcd version, e.g. 3.5.1: restore with etcdutl of that minor version or newer.
  public var etcdVersion: String
  /// The cluster's revision just before the snapshot began: the backup holds every write up
  /// to it, at least.
  public var revision: Int64
  /// When the snapshot was taken (ISO 8601, UTC).
  public var takenAt: String
  /// The members of the cluster then, `name=id`.
  public var members: [String]

  public init(
    file: String, size: Int64, sha256: String, clusterID: String, memberID: String, memberName: String,
    endpoint: String,
    fromLeader: Bool, etcdVersion: String, revision: Int64, takenAt: String, members: [String]
  ) {
    self.file = file
    self.size = size
    self.sha256 = sha256
    self.clusterID = clusterID
    self.memberID = memberID
    self.memberName = memberName
    self.endpoint = endpoint
    self.fromLeader = fromLeader
    self.etcdVersion = etcdVersion
    self.revision = revision
    self.takenAt = takenAt
    self.members = members
  }
}
