import EtcdClient
import EtcdTestFixtures
import Foundation
import Membership
import Pilot
import Testing

/// The WAL reader that decides whether `--force-new-cluster` may run: what lies beyond the
/// commit index etcd persisted, and who wrote it. Real etcd WALs for the cases etcd can be
/// driven into from outside; hand-built frames for the one it cannot (another leader's entries
/// a follower holds without having heard they were committed).
@Suite("WAL reader", .serialized, .timeLimit(.minutes(5)))
struct WALReaderTests {
  @Test("a member alone: every entry committed, nothing beyond the commit index", arguments: EtcdVersion.allCases)
  func aloneAllCommitted(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in for index in 0..<20 { try await etcd.put("w/\(index)", "\(index)") } }
      let server = cluster.servers[0]
      await server.stop()
      let tail = try WALReader.tail(dataDirectory: server.dataDirectory)
      #expect(tail.lastIndex >= 20, "\(tail)")
      #expect(tail.commit == tail.lastIndex, "\(tail)")
      #expect(tail.beyondCommit == 0)
      #expect(tail.leadersBeyondCommit.isEmpty)
    }
  }

  @Test(
    "a leader whose follower froze: its own proposals lie beyond the commit index, written by itself",
    arguments: EtcdVersion.allCases)
  func leaderOwnUncommitted(version: EtcdVersion) async throws {
    try await withCluster(size: 2, version: version) { cluster in
      try await cluster.withClient { etcd in try await etcd.put("before", "1") }
      var leaders: [(server: EtcdServer, id: UInt64)] = []
      for server in cluster.servers {
        let status = try await cluster.withClient(endpoints: [server.endpoint]) { try await $0.status() }
        if status.isLeader { leaders.append((server, status.header.memberID)) }
      }
      let leader = try #require(leaders.first)
      let follower = try #require(cluster.servers.first { $0.name != leader.server.name })
      let frozen = try #require(await follower.pid)
      kill(frozen, SIGSTOP)
      defer { kill(frozen, SIGCONT) }
      try await cluster.withClient(endpoints: [leader.server.endpoint], timeout: .milliseconds(300)) { etcd in
        // Appended by the leader, never acknowledged by the frozen follower: not committed.
        for index in 0..<3 { _ = try? await etcd.put("lost/\(index)", "x") }
      }
      await leader.server.stop()
      let tail = try WALReader.tail(dataDirectory: leader.server.dataDirectory)
      #expect(tail.beyondCommit >= 1, "\(tail)")
      #expect(tail.leadersBeyondCommit == [leader.id], "\(tail)")
    }
  }

  @Test(
    "the WAL names the member and cluster etcd reports; after a clean stop the backend's applied index is the WAL's commit",
    arguments: EtcdVersion.allCases)
  func identityAndAppliedIndex(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      try await cluster.withClient { etcd in
        for index in 0..<200 { try await etcd.put("i/\(index)", String(repeating: "x", count: 500)) }
      }
      let server = cluster.servers[1]
      let status = try await cluster.withClient(endpoints: [server.endpoint]) { try await $0.status() }
      await server.stop()
      let identity = try #require(try WALReader.identity(dataDirectory: server.dataDirectory))
      #expect(identity == DataIdentity(memberID: status.header.memberID, clusterID: status.header.clusterID))
      let tail = try WALReader.tail(dataDirectory: server.dataDirectory)
      let applied = try #require(tail.appliedIndex, "no applied index read from the backend: \(tail)")
      // etcd records the index with the entries it applies to the backend: the last committed
      // entry may be one that does not touch it (a leader's empty entry).
      #expect(applied <= tail.commit && applied + 3 >= tail.commit, "\(tail)")
      #expect(applied >= 200, "\(tail)")
    }
  }

  @Test("a data directory with no WAL yet has no identity; a damaged backend is named")
  func identityAbsentAndBackendDamaged() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-wal-\(UUID().uuidString.prefix(8))"
    ).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(try WALReader.identity(dataDirectory: directory) == nil)
    try FileManager.default.createDirectory(atPath: "\(directory)/member/wal", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: "\(directory)/member/snap", withIntermediateDirectories: true)
    let segment =
      Self.state(term: 1, vote: 0, commit: 1) + Self.entry(index: 1, term: 1) + [UInt8](repeating: 0, count: 64)
    FileManager.default.createFile(
      atPath: "\(directory)/member/wal/0000000000000000-0000000000000000.wal", contents: Data(segment))
    FileManager.default.createFile(atPath: "\(directory)/member/snap/db", contents: Data(repeating: 0x42, count: 8192))
    #expect {
      try WALReader.tail(dataDirectory: directory)
    } throws: {
      "\($0)".contains("cannot read the applied index in \(directory)/member/snap/db") && "\($0)".contains("meta page")
    }
  }

  // Hand-built frames, in etcd's layout, for what real etcd cannot be driven into from outside.
  static func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7f) | 0x80)
      value >>= 7
    }
    return bytes + [UInt8(value)]
  }
  static func message(_ fields: [(Int, UInt64)]) -> [UInt8] {
    fields.flatMap { varint(UInt64($0.0 << 3)) + varint($0.1) }
  }
  static func frame(type: UInt64, data: [UInt8]) -> [UInt8] {
    let record = message([(1, type), (2, 0)]) + varint(3 << 3 | 2) + varint(UInt64(data.count)) + data
    let padding = (8 - record.count % 8) % 8
    var length = UInt64(record.count)
    if padding > 0 { length |= (1 << 63) | (UInt64(padding) << 56) }
    return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xff) } + record + [UInt8](repeating: 0, count: padding)
  }
  static func entry(index: UInt64, term: UInt64) -> [UInt8] {
    frame(type: 2, data: message([(1, 0), (2, term), (3, index)]))
  }
  static func state(term: UInt64, vote: UInt64, commit: UInt64) -> [UInt8] {
    frame(type: 3, data: message([(1, term), (2, vote), (3, commit)]))
  }

  @Test("another leader's entries beyond the commit index are named by this member's vote in their term")
  func anotherLeadersEntries() throws {
    let me: UInt64 = 0xa, other: UInt64 = 0xb
    let segment =
      Self.state(term: 2, vote: other, commit: 0) + (1...5).flatMap { Self.entry(index: $0, term: 2) }
      + Self.state(term: 2, vote: other, commit: 3) + [UInt8](repeating: 0, count: 64)
    let tail = try WALReader.tail(segments: [segment])
    #expect(tail == LogTail(commit: 3, lastIndex: 5, leadersBeyondCommit: [other]))
    // Later this member campaigned (a new term, its own vote): the entries still name term 2's leader.
    let campaigned = try WALReader.tail(segments: [segment, Self.state(term: 4, vote: me, commit: 3)])
    #expect(campaigned.leadersBeyondCommit == [other])
  }

  @Test(
    "a tail raft overwrote counts as overwritten; a torn last frame ends the log; a term with no recorded vote is unknown (0)"
  )
  func overwrittenTornUnknown() throws {
    let me: UInt64 = 0xa
    let first = Self.state(term: 2, vote: 0xb, commit: 2) + (1...6).flatMap { Self.entry(index: $0, term: 2) }
    let second = Self.state(term: 3, vote: me, commit: 2) + Self.entry(index: 4, term: 3)
    let torn = Array(Self.entry(index: 5, term: 3).prefix(12))
    let tail = try WALReader.tail(segments: [first, second + torn])
    #expect(tail == LogTail(commit: 2, lastIndex: 4, leadersBeyondCommit: [0xb, me]))
    let unknown = try WALReader.tail(segments: [
      Self.state(term: 5, vote: 0, commit: 1) + (1...2).flatMap { Self.entry(index: $0, term: 5) }
    ])
    #expect(unknown.leadersBeyondCommit == [0])
  }

  @Test("no WAL: a clear error naming the directory")
  func missingWAL() {
    #expect {
      try WALReader.tail(dataDirectory: "/nonexistent/etcd")
    } throws: { "\($0)".contains("/nonexistent/etcd/member/wal") }
  }
}
