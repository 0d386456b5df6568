/// What the pilot beside the leader read of every member's space at one moment: each member's
/// database size and the part of it in use (etcd's Status), and the cluster's alarms.
public struct SpaceReading: Sendable, Hashable {
  public struct Member: Sendable, Hashable {
    public var dbSize: Int64
    public var dbSizeInUse: Int64

    public init(dbSize: Int64, dbSizeInUse: Int64) {
      self.dbSize = dbSize
      self.dbSizeInUse = dbSizeInUse
    }

    /// Bytes a defragmentation gives back: the database's pages no key or revision uses.
    public var free: Int64 { max(0, dbSize - dbSizeInUse) }
  }

  public enum AlarmKind: String, Sendable, Hashable {
    case noSpace = "NOSPACE"
    case corrupt = "CORRUPT"
  }

  public struct Alarm: Sendable, Hashable {
    public var memberID: UInt64
    public var kind: AlarmKind

    public init(memberID: UInt64, kind: AlarmKind) {
      self.memberID = memberID
      self.kind = kind
    }
  }

  public var members: [UInt64: Member]
  public var alarms: [Alarm]
  /// The store's revision when read: a recovery from NOSPACE compacts up to it.
  public var revision: Int64
  /// When it was read, on the pilot's monotonic clock.
  public var readAt: Double

  public init(members: [UInt64: Member], alarms: [Alarm] = [], revision: Int64, readAt: Double) {
    self.members = members
    self.alarms = alarms
    self.revision = revision
    self.readAt = readAt
  }

  public var noSpace: Bool { alarms.contains { $0.kind == .noSpace } }
}
