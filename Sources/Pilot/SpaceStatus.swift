import Membership

/// The space part of `/status`, published by the pilot beside the leader (the one that reads
/// every member's database and decides about maintenance): each member's database, the quota,
/// the alarms, and what the pilot does about them — so a person sees a NOSPACE that will not
/// clear, and why, without reading logs.
public struct SpaceStatus: Sendable, Codable, Hashable {
  public struct Member: Sendable, Codable, Hashable {
    public var dbSizeBytes: Int64
    public var dbSizeInUseBytes: Int64
    /// What a defragmentation would give back.
    public var freeBytes: Int64
  }

  /// etcd's backend quota, as the pilot knows it.
  public var quotaBytes: Int64
  /// How long ago the reading was taken.
  public var readSecondsAgo: Double
  /// By member ID (hex).
  public var members: [String: Member]
  /// `NOSPACE on <member>`, `CORRUPT on <member>`.
  public var alarms: [String]
  /// What the pilot does about space now, in a sentence: the maintenance decision when it is
  /// the one taken, else that none is due or what comes first.
  public var verdict: String
  /// The decision's kind when it is about space (`noSpaceOverQuota`, `defragmenting`, ...).
  public var verdictKind: String?

  /// The kinds of decision ``MaintenanceDecision`` takes.
  static let maintenanceKinds: Set<Reason.Kind> = [
    .defragmenting, .defragNeedsLock, .defragWaitsForHealth, .handingOffToDefragment, .compactingForNoSpace,
    .disarmingNoSpace, .noSpaceOverQuota,
  ]

  init(_ reading: SpaceReading, quota: Int64, now: Double, plan: Plan) {
    quotaBytes = quota
    readSecondsAgo = max(0, now - reading.readAt)
    members = Dictionary(
      uniqueKeysWithValues: reading.members.map { id, member in
        (
          String(id, radix: 16),
          Member(dbSizeBytes: member.dbSize, dbSizeInUseBytes: member.dbSizeInUse, freeBytes: member.free)
        )
      })
    alarms = reading.alarms.map { "\($0.kind.rawValue) on \(String($0.memberID, radix: 16))" }.sorted()
    if Self.maintenanceKinds.contains(plan.reason.kind) {
      verdict = plan.reason.text
      verdictKind = plan.reason.kind.rawValue
    } else if reading.alarms.isEmpty {
      verdict = "no maintenance due"
    } else {
      verdict = "an alarm is raised; first: \(plan.reason.text)"
    }
  }
}
