import Membership
import Testing

/// `etcd-pilot defrag`'s plan and `etcd-pilot alarms --disarm`'s check, row by row: what a pass
/// does on a reading, and every reason it refuses to start.
@Suite("Engine: on-demand defragmentation pass")
struct DefragPassTests {
  static let mib: Int64 = 1 << 20
  static let leader: UInt64 = 0xa
  static let options = DefragPass.Options(quotaBytes: 1024 * mib, maximumLag: 100)

  /// A 3-voter cluster led by 0xa: every member's (size, in use) in MiB.
  static func cluster(
    _ sizes: [(Int64, Int64)] = [(200, 10), (300, 20), (250, 200)], leader: UInt64 = leader
  ) -> [DefragPass.Member] {
    sizes.enumerated().map { index, size in
      let id = UInt64(0xa + index)
      return DefragPass.Member(
        id: id, name: "etcd-\(index)", endpoint: "http://10.0.0.\(index):2379", health: .healthy,
        space: .init(dbSize: size.0 * mib, dbSizeInUse: size.1 * mib), raftIndex: 5000, leader: leader)
    }
  }

  struct Row: Sendable, CustomStringConvertible {
    var description: String
    var members: [DefragPass.Member]
    var alarms: [SpaceReading.Alarm] = []
    var lock: DefragPass.Lock = .free
    var all = false
    /// The steps, or the refusal's kind and words it must name.
    var steps: [DefragPass.Step]?
    var refusal: (DefragPass.Refusal.Kind, [String])?
  }

  static let rows: [Row] = {
    var down = cluster()
    down[2].health = .unreachable("connection refused")
    down[2].space = nil
    var unhealthy = cluster()
    unhealthy[1].health = .unhealthy("no leader")
    var downAndElection = unhealthy
    downAndElection[2].health = .unreachable("connection refused")
    var learner = cluster()
    learner.append(
      DefragPass.Member(
        id: 0xd, name: "etcd-3", endpoint: "http://10.0.0.3:2379", isLearner: true, health: .healthy,
        space: .init(dbSize: mib, dbSizeInUse: mib), raftIndex: 10, leader: leader))
    var behind = cluster()
    behind[2].raftIndex = 4000
    var slightlyBehind = cluster()
    slightlyBehind[2].raftIndex = 4900
    var election = cluster()
    election[1].leader = 0
    let one = [cluster()[0]]
    return [
      Row(
        description: "healthy: the two due followers, most free first; the leader last, after a handoff",
        members: cluster(),
        steps: [.defragment(0xb), .moveLeader(from: 0xa, to: 0xb), .defragment(0xa)]),
      Row(
        description: "a follower within the lag counts as caught up", members: slightlyBehind,
        steps: [.defragment(0xb), .moveLeader(from: 0xa, to: 0xb), .defragment(0xa)]),
      Row(
        description: "a voter down: refused, naming it and its address", members: down,
        refusal: (.voterDown, ["member c (etcd-2)", "http://10.0.0.2:2379", "connection refused", "bring it back"])),
      Row(
        description: "a voter unhealthy: refused", members: unhealthy,
        refusal: (.voterUnhealthy, ["member b (etcd-1)", "no leader"])),
      Row(
        description: "a voter down and another without a leader: the one down is named", members: downAndElection,
        refusal: (.voterDown, ["member c (etcd-2)", "connection refused"])),
      Row(
        description: "a voter down while the lock is held: the voter is named first", members: down,
        lock: .held(by: "etcd-1/7f"), refusal: (.voterDown, ["member c (etcd-2)"])),
      Row(
        description: "a learner present: refused until it is promoted", members: learner,
        refusal: (.learnerPresent, ["learner member d (etcd-3)", "promoted"])),
      Row(
        description: "a voter 1000 entries behind: refused", members: behind,
        refusal: (.voterBehind, ["member c (etcd-2)", "1000 raft entries behind", "more than 100"])),
      Row(
        description: "the lock held: refused, naming the holder", members: cluster(), lock: .held(by: "etcd-1/7f"),
        refusal: (.lockHeld, ["held by etcd-1/7f", "once it is done"])),
      Row(
        description: "the lock unreadable: refused, asking for root", members: cluster(),
        lock: .unreadable("permission denied"), refusal: (.lockUnreadable, ["permission denied", "--user root"])),
      Row(
        description: "CORRUPT raised: refused, the member must be replaced", members: cluster(),
        alarms: [.init(memberID: 0xc, kind: .corrupt)], refusal: (.corrupt, ["member c (etcd-2)", "replaced"])),
      Row(
        description: "NOSPACE raised: the pass runs (it is part of leaving NOSPACE)", members: cluster(),
        alarms: [.init(memberID: 0xc, kind: .noSpace)],
        steps: [.defragment(0xb), .moveLeader(from: 0xa, to: 0xb), .defragment(0xa)]),
      Row(
        description: "an election going on: refused", members: election, refusal: (.noLeader, ["leader"])),
      Row(
        description: "only the leader due: handed to the most caught-up voter first",
        members: {
          var members = cluster([(200, 10), (100, 90), (100, 90)])
          members[2].raftIndex = 5010
          return members
        }(), steps: [.moveLeader(from: 0xa, to: 0xc), .defragment(0xa)]),
      Row(description: "one member: defragmented in place", members: one, steps: [.defragment(0xa)]),
      Row(
        description: "nothing due: no step", members: cluster([(100, 90), (100, 90), (100, 60)]), steps: []),
      Row(
        description: "--all: every member, followers by free bytes, the leader last",
        members: cluster([(100, 90), (100, 90), (100, 60)]), all: true,
        steps: [.defragment(0xc), .defragment(0xb), .moveLeader(from: 0xa, to: 0xb), .defragment(0xa)]),
      Row(
        description: "near the quota with some room: due",
        members: cluster([(100, 90), (900, 880), (100, 90)]),
        steps: [.defragment(0xb)]),
    ]
  }()

  @Test("the pass row by row", arguments: rows)
  func row(_ row: Row) {
    var options = Self.options
    options.all = row.all
    do throws(DefragPass.Refusal) {
      let plan = try DefragPass.plan(members: row.members, alarms: row.alarms, lock: row.lock, options: options)
      #expect(row.refusal == nil, "planned \(plan.steps) where a refusal was expected")
      #expect(plan.steps == row.steps, "\(plan.steps)")
      #expect(plan.leaderID == Self.leader)
      #expect(plan.assessments.count == row.members.count)
    } catch {
      guard let (kind, words) = row.refusal else {
        Issue.record("refused: \(error)")
        return
      }
      #expect(error.kind == kind, "\(error)")
      for word in words { #expect(error.description.contains(word), "'\(word)' missing from: \(error)") }
      #expect(!error.description.contains("\n"))
    }
  }

  @Test("--dry-run's reading: every member with its sizes, due or not and why")
  func assessments() throws {
    let plan = try DefragPass.plan(
      members: Self.cluster([(200, 10), (100, 90), (900, 880)]), lock: .free, options: Self.options)
    let byID = Dictionary(uniqueKeysWithValues: plan.assessments.map { ($0.memberID, $0) })
    #expect(byID[0xa]?.isDue == true)
    #expect(byID[0xa]?.why == "190 MiB of 200 MiB free: at least 50% and 64 MiB", "\(byID[0xa]!)")
    #expect(byID[0xb]?.isDue == false)
    #expect(byID[0xb]?.why.hasPrefix("10 MiB of 100 MiB free, below 50% or 64 MiB") == true, "\(byID[0xb]!)")
    #expect(byID[0xc]?.isDue == true)
    #expect(byID[0xc]?.why.contains("at 88% of the quota (1024 MiB), 20 MiB to gain") == true, "\(byID[0xc]!)")
    #expect(plan.order == [0xc, 0xa])
  }

  @Test("the deadline of one defragmentation: a minute plus a second per 20 MiB, as the pilot's")
  func deadline() {
    #expect(DefragRule.deadline(forDatabaseOf: 0) == .seconds(60))
    #expect(DefragRule.deadline(forDatabaseOf: 2 << 30) == .seconds(60 + 102))
  }

  @Test("sizes: MiB with one decimal, KiB below a MiB")
  func sizes() {
    #expect(DefragPass.mib(212 * Self.mib) == "212 MiB")
    #expect(DefragPass.mib(Self.mib * 3 / 2) == "1.5 MiB")
    #expect(DefragPass.mib(Self.mib / 2) == "512 KiB")
    #expect(DefragPass.mib(0) == "0 KiB")
  }

  static let members = [
    AlarmDisarm.Member(id: 0xa, name: "etcd-0", dbSize: 10 * mib),
    AlarmDisarm.Member(id: 0xb, name: "etcd-1", dbSize: 12 * mib),
  ]

  @Test("alarms --disarm: NOSPACE only under the quota by the margin; CORRUPT never")
  func disarm() throws {
    let noSpace = [SpaceReading.Alarm(memberID: 0xa, kind: .noSpace)]
    #expect(
      try AlarmDisarm.check(alarms: noSpace, members: Self.members, quotaBytes: 16 * Self.mib, margin: 0.1) == noSpace)
    #expect(try AlarmDisarm.check(alarms: [], members: Self.members, quotaBytes: 16 * Self.mib, margin: 0.1).isEmpty)

    let over = #expect(throws: AlarmDisarm.Refusal.self) {
      try AlarmDisarm.check(alarms: noSpace, members: Self.members, quotaBytes: 13 * Self.mib, margin: 0.1)
    }
    #expect(over?.kind == .overQuota)
    #expect(over?.description.contains("member b (etcd-1)'s database is 12 MiB, 92% of the quota (13 MiB)") == true)
    #expect(over?.description.contains("etcd-pilot defrag") == true, "\(String(describing: over))")

    var unread = Self.members
    unread[1].dbSize = nil
    unread[1].problem = "connection refused"
    let unknown = #expect(throws: AlarmDisarm.Refusal.self) {
      try AlarmDisarm.check(alarms: noSpace, members: unread, quotaBytes: 16 * Self.mib, margin: 0.1)
    }
    #expect(unknown?.kind == .unread)
    #expect(unknown?.description.contains("connection refused") == true)

    let corrupt = #expect(throws: AlarmDisarm.Refusal.self) {
      try AlarmDisarm.check(
        alarms: noSpace + [.init(memberID: 0xb, kind: .corrupt)], members: Self.members, quotaBytes: 16 * Self.mib,
        margin: 0.1)
    }
    #expect(corrupt?.kind == .corrupt)
    #expect(corrupt?.description.contains("member b (etcd-1) raised CORRUPT") == true)
    #expect(corrupt?.description.contains("must be replaced") == true)
  }
}
