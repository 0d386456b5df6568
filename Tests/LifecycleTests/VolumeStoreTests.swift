import Foundation
import Membership
import Pilot
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the pilot reads of its volume: data is data wherever etcd keeps it, an unreadable
/// volume is an error with its cause, and copies moved aside say what they are.
@Suite("Volume store")
struct VolumeStoreTests {
  private func withVolume<R>(_ body: (VolumeStore, String) throws -> R) throws -> R {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-volume-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    return try body(VolumeStore(root: root), root)
  }

  /// Issue 12, finding 4: only `member/wal` counted, so a WAL kept elsewhere made a member with
  /// data look empty.
  @Test(
    "a backend or snapshot without a WAL is partial data, never empty; a WAL is a member; an empty or missing directory is neither"
  )
  func dataWhereverItLies() throws {
    try withVolume { store, root in
      #expect(try store.etcdData() == (false, false))
      try FileManager.default.createDirectory(atPath: "\(root)/etcd/member/snap", withIntermediateDirectories: true)
      #expect(try store.etcdData() == (false, false))
      FileManager.default.createFile(atPath: "\(root)/etcd/member/snap/db", contents: Data([1]))
      #expect(try store.etcdData() == (false, true))
      #expect(try store.state().isFresh == false)
      try FileManager.default.createDirectory(atPath: "\(root)/etcd/member/wal", withIntermediateDirectories: true)
      FileManager.default.createFile(atPath: "\(root)/etcd/member/wal/0.wal", contents: Data([1]))
      #expect(try store.etcdData() == (true, false))
    }
  }

  /// Issue 21, item 3 (and issue 12, finding 5): read errors used to read as "empty".
  @Test(
    "a WAL path that cannot be listed, or notes that cannot be read, are errors naming the path and the cause, never empty"
  )
  func unreadableIsAnError() throws {
    try withVolume { store, root in
      try FileManager.default.createDirectory(atPath: "\(root)/etcd/member", withIntermediateDirectories: true)
      FileManager.default.createFile(atPath: "\(root)/etcd/member/wal", contents: Data("not a directory".utf8))
      #expect {
        try store.state()
      } throws: { error in
        let text = "\(error)"
        return text.contains("cannot list etcd's WAL in \(root)/etcd/member/wal: Not a directory")
          && text.contains("the pilot runs as uid")
          && text.contains("nothing was changed")
      }
      try FileManager.default.removeItem(atPath: "\(root)/etcd")
      try FileManager.default.createDirectory(atPath: "\(root)/pilot.json", withIntermediateDirectories: true)
      #expect {
        try store.state()
      } throws: { "\($0)".contains("cannot read the pilot's notes \(root)/pilot.json: Is a directory") }
    }
  }

  @Test(
    "moving data aside: one rename, a record of why and whether it is redundant, the notes keep the cluster; deleting names only"
  )
  func asideCopies() throws {
    try withVolume { store, root in
      try FileManager.default.createDirectory(atPath: "\(root)/etcd/member/wal", withIntermediateDirectories: true)
      FileManager.default.createFile(
        atPath: "\(root)/etcd/member/wal/0.wal", contents: Data(repeating: 7, count: 100_000))
      try store.writeNotes(PilotNotes(formed: true, memberID: "66", token: "t", clusterID: "c1", served: true))
      let first = try store.moveDataAside(reason: "scaled down: member removed", redundant: true)
      #expect(!FileManager.default.fileExists(atPath: "\(root)/etcd"))
      #expect(FileManager.default.fileExists(atPath: "\(first)/etcd/member/wal/0.wal"))
      #expect(try store.readNotes() == PilotNotes(formed: true, token: "t", clusterID: "c1", served: true))
      try FileManager.default.createDirectory(atPath: "\(root)/etcd/member/wal", withIntermediateDirectories: true)
      let second = try store.moveDataAside(reason: "unformed bootstrap abandoned", redundant: false)
      let copies = try store.asideCopies()
      #expect(copies.map(\.redundant) == [true, false], "\(copies)")
      #expect(copies[0].bytes >= 100_000, "\(copies)")
      #expect(copies.map { "\(root)/aside/\($0.name)" } == [first, second])
      #expect(throws: PilotError.self) { try store.deleteAsideCopies(["../etcd"]) }
      #expect(try store.deleteAsideCopies([copies[0].name]) == [first])
      #expect(try store.asideCopies().map(\.name) == [copies[1].name])
    }
  }

  @Test("a move aside that cannot happen leaves no empty folder behind")
  func failedMoveLeavesNothing() throws {
    try withVolume { store, root in
      try FileManager.default.createDirectory(atPath: "\(root)/etcd/member", withIntermediateDirectories: true)
      // `aside` taken by a file: the copy's folder cannot be made.
      FileManager.default.createFile(atPath: "\(root)/aside", contents: Data())
      #expect(throws: PilotError.self) { try store.moveDataAside(reason: "x", redundant: true) }
      #expect(FileManager.default.fileExists(atPath: "\(root)/etcd/member"))
      var isDirectory: ObjCBool = false
      #expect(
        FileManager.default.fileExists(atPath: "\(root)/aside", isDirectory: &isDirectory) && !isDirectory.boolValue)
    }
  }
}
