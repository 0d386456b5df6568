/// `etcd-pilot alarms --disarm`: whether the cluster's NOSPACE alarms may be disarmed, by the
/// pilot's own rule (``MaintenanceDecision``).
///
/// Disarming while a database is still at the quota only lets writes in until etcd raises the
/// alarm again, so it waits for every member's database to be under the quota by a margin.
/// CORRUPT is never disarmed: it says a member's data differs from the others', which no
/// disarming mends; the member must be replaced.
public enum AlarmDisarm {
  /// One member's database size as read now; `nil` when it did not answer.
  public struct Member: Sendable, Hashable {
    public var id: UInt64
    public var name: String
    public var dbSize: Int64?
    /// Why it did not answer.
    public var problem: String

    public init(id: UInt64, name: String, dbSize: Int64?, problem: String = "") {
      self.id = id
      self.name = name
      self.dbSize = dbSize
      self.problem = problem
    }

    var label: String { "member \(String(id, radix: 16)) (\(name.isEmpty ? "unstarted" : name))" }
  }

  /// Why nothing is disarmed: one line naming the problem and the fix.
  public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case corrupt, unread, overQuota }
    public var kind: Kind
    public var description: String
  }

  /// The NOSPACE alarms to disarm (none when none is raised); throws when they may not be.
  public static func check(
    alarms: [SpaceReading.Alarm], members: [Member], quotaBytes: Int64, margin: Double
  ) throws(Refusal) -> [SpaceReading.Alarm] {
    if let corrupt = alarms.first(where: { $0.kind == .corrupt }) {
      let label = members.first { $0.id == corrupt.memberID }?.label ?? "member \(String(corrupt.memberID, radix: 16))"
      throw Refusal(
        kind: .corrupt,
        description:
          "\(label) raised CORRUPT: its data differs from the other members', which disarming does not mend; it must be replaced (etcd-pilot's consistency check removes it and its pod joins again from a fresh copy), so nothing was disarmed"
      )
    }
    let noSpace = alarms.filter { $0.kind == .noSpace }
    guard !noSpace.isEmpty else { return [] }
    // Every member: the one that did not answer may be the full one.
    if let unread = members.first(where: { $0.dbSize == nil }) {
      throw Refusal(
        kind: .unread,
        description:
          "\(unread.label)'s database size could not be read (\(unread.problem)): NOSPACE is disarmed only once every member's database is known to be under the quota; bring it back first"
      )
    }
    let limit = Double(quotaBytes) * (1 - margin)
    let over = members.filter { Double($0.dbSize ?? 0) > limit }
    if let fullest = over.max(by: { ($0.dbSize ?? 0) < ($1.dbSize ?? 0) }), let size = fullest.dbSize {
      throw Refusal(
        kind: .overQuota,
        description:
          "\(fullest.label)'s database is \(DefragPass.mib(size)), \(DefragPass.percent(size, of: quotaBytes)) of the quota (\(DefragPass.mib(quotaBytes))); NOSPACE is disarmed only below \(Int(((1 - margin) * 100).rounded()))%: compact the history and run etcd-pilot defrag, raise the quota (--quota if it is not \(DefragPass.mib(quotaBytes))), or delete keys"
      )
    }
    return noSpace
  }
}
