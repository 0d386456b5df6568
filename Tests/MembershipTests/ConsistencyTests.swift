import Membership
import Testing

/// The consistency check's verdict: a voter whose data hashes apart from a quorum that agrees is
/// replaced; nobody is, unless a quorum agrees.
@Suite("Engine: members whose data diverged")
struct ConsistencyTests {
  /// etcd-`me` leads a healthy, formed cluster of `size`; the reading gives each ordinal's hash.
  static func leading(
    _ size: Int = 3, me: Int = 0, hashes: [Int: UInt32], compactions: [Int: Int64] = [:], holdsLock: Bool = true,
    cluster: ClusterView? = nil
  ) -> Observation {
    let notes = PilotNotes(formed: true, memberID: String(Scenario.id(me), radix: 16))
    var o = Scenario(pods: size, me: me).observe(
      volume: VolumeState(hasEtcdData: true, notes: notes), record: .present(Scenario.record),
      cluster: cluster ?? Scenario.healthy(size, leader: me), etcd: Scenario.running(me), holdsLock: holdsLock)
    o.consistency = ConsistencyReading(
      revision: 4711,
      hashes: Dictionary(uniqueKeysWithValues: hashes.map { (Scenario.id($0.key), .init(hash: $0.value, compactRevision: compactions[$0.key] ?? 7)) }),
      readAt: 990)
    return o
  }

  @Test("one voter hashes apart from the other two: it is removed under the lock, with both hashes in the reason")
  func divergedFollowerRemoved() {
    let plan = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb]))
    #expect(plan.steps == [.removeMember(memberID: Scenario.id(2), name: "etcd-2")])
    #expect(plan.reason.contains("etcd-2's data diverged: its HashKV at revision 4711 is bb, the 2 voters etcd-0, etcd-1 agree on aa"))
    let unlocked = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], holdsLock: false))
    #expect(unlocked.steps == [.acquireLock])
  }

  @Test("the leader's own data diverged: it hands leadership to the most up-to-date agreeing voter, removing nothing")
  func divergedLeaderHandsOver() {
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1, index: 990), Scenario.member(2, index: 995)])
    let plan = MemberEngine.plan(Self.leading(hashes: [0: 0xbb, 1: 0xaa, 2: 0xaa], cluster: cluster))
    #expect(plan.steps == [.releaseLock, .moveLeader(to: Scenario.id(2))])
    #expect(!plan.changesMembership)
  }

  @Test("no quorum agrees (two voters, two hashes; five voters split 2-2-1): nobody is removed, and the pilot says so")
  func noQuorumNoAction() {
    let two = MemberEngine.plan(Self.leading(2, hashes: [0: 0xaa, 1: 0xbb]))
    #expect(!two.changesMembership && two.steps.last == .wait)
    #expect(two.reason.contains("no quorum of 2 agrees"), "\(two.reason)")
    let five = MemberEngine.plan(Self.leading(5, hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb, 3: 0xbb, 4: 0xcc]))
    #expect(!five.changesMembership && five.steps.last == .wait)
    #expect(five.reason.contains("restore from a backup"), "\(five.reason)")
  }

  @Test("hashes from different compactions are not compared; members not in the reading or no longer listed are ignored")
  func incomparableReadings() {
    let compacted = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], compactions: [2: 9]))
    #expect(!compacted.changesMembership)
    // etcd-2 did not answer: two agreeing voters, nothing to say.
    let partial = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa]))
    #expect(partial.steps == [.releaseLock])
    // The reading predates etcd-2's replacement (its old ID): the new member is not judged by it.
    let replaced = Scenario.cluster([Scenario.member(0), Scenario.member(1), MemberView(id: 999, name: "etcd-2", peerURLs: [Scenario.peerURL(2)], clientURLs: [Scenario.clientURL(2)])])
    let stale = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], cluster: replaced))
    #expect(!stale.changesMembership)
  }

  @Test("a diverged voter is not removed when the others would lose quorum without it; only the leader's pilot acts")
  func quorumAndLeadership() {
    // etcd-1 is down: removing etcd-2 would leave one live voter of two.
    let cluster = Scenario.cluster([Scenario.member(0), Scenario.member(1, alive: false), Scenario.member(2)])
    let blocked = MemberEngine.plan(Self.leading(hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], cluster: cluster))
    #expect(!blocked.changesMembership)
    #expect(blocked.reason.contains("would lose quorum"), "\(blocked.reason)")
    // A follower's pilot with the same reading does nothing about it.
    let follower = MemberEngine.plan(Self.leading(me: 1, hashes: [0: 0xaa, 1: 0xaa, 2: 0xbb], holdsLock: false, cluster: Scenario.healthy(3, leader: 0)))
    #expect(!follower.changesMembership && follower.steps != [.acquireLock])
  }
}
