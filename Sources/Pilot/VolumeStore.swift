import Foundation
import Membership

#if canImport(Glibc)
import Glibc
#endif

/// The pilot's volume: etcd's data in `etcd/`, the pilot's notes in `pilot.json`, and copies
/// moved aside in `aside/<time>-<reason>/` (with `aside.json` saying why). Nothing here deletes
/// data, except redundant aside copies the engine names to make room for a join.
public struct VolumeStore: Sendable {
  public let root: String

  public init(root: String) { self.root = root }

  public var etcdDataDirectory: String { "\(root)/etcd" }
  var notesFile: String { "\(root)/pilot.json" }
  var asideDirectory: String { "\(root)/aside" }

  /// What etcd's data directory holds: a member (a WAL segment, etcd's own test), or only a
  /// backend or snapshot files (partial). Throws when it cannot be read: an unreadable
  /// directory is never "empty".
  public func etcdData() throws(PilotError) -> (member: Bool, partial: Bool) {
    do {
      let wal = try VolumeFiles.list("\(etcdDataDirectory)/member/wal", purpose: "etcd's WAL") ?? []
      if wal.contains(where: { $0.hasSuffix(".wal") }) { return (true, false) }
      let snap = try VolumeFiles.list("\(etcdDataDirectory)/member/snap", purpose: "etcd's snapshots") ?? []
      return (false, snap.contains { $0 == "db" || $0.hasSuffix(".snap") || $0.hasSuffix(".snap.db") })
    } catch {
      throw PilotError(error.description)
    }
  }

  public func readNotes() throws(PilotError) -> PilotNotes {
    let data: Data?
    do {
      data = try VolumeFiles.contents(notesFile, purpose: "the pilot's notes")
    } catch {
      throw PilotError(error.description)
    }
    guard let data else { return PilotNotes() }
    do {
      return try JSONDecoder().decode(PilotNotes.self, from: data)
    } catch {
      throw PilotError("cannot read \(notesFile): \(error); the file is not the pilot's; move it away")
    }
  }

  public func writeNotes(_ notes: PilotNotes) throws(PilotError) {
    do {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      try AtomicFile.write(try encoder.encode(notes), to: notesFile)
    } catch let error as PilotError {
      throw error
    } catch {
      throw PilotError("cannot write \(notesFile): \(error)")
    }
  }

  static let asideRecordName = "aside.json"

  /// What the pilot writes into an aside copy: why it was made, and whether anything in it is
  /// held only there.
  struct AsideRecord: Codable {
    var reason: String
    var redundant: Bool
    var movedAt: String
  }

  /// Copies moved aside, oldest first, each with its size and whether it is redundant (a copy
  /// without the pilot's record, from an earlier pilot, never is).
  public func asideCopies() throws(PilotError) -> [AsideCopy] {
    let names: [String]
    do {
      names = try VolumeFiles.list(asideDirectory, purpose: "the aside copies")?.sorted() ?? []
    } catch {
      throw PilotError(error.description)
    }
    return names.map { name in
      let folder = "\(asideDirectory)/\(name)"
      let record = FileManager.default.contents(atPath: "\(folder)/\(Self.asideRecordName)")
        .flatMap { try? JSONDecoder().decode(AsideRecord.self, from: $0) }
      return AsideCopy(name: name, bytes: Self.bytes(under: folder), redundant: record?.redundant ?? false)
    }
  }

  /// Bytes the files under `path` take on disk.
  static func bytes(under path: String) -> Int64 { VolumeFiles.bytes(under: path) }

  /// Moves etcd's data and the notes aside; returns where they went. The notes keep only what
  /// outlives a member: whether the cluster formed, its token and ID, and whether it served.
  /// One rename, so a full volume moves it as well as an empty one; nothing is left behind when
  /// it fails.
  @discardableResult
  public func moveDataAside(reason: String, redundant: Bool, now: Date = Date()) throws(PilotError) -> String {
    let manager = FileManager.default
    let slug = String(reason.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(40))
    let stamp = Self.timestamp(now)
    var target = "\(asideDirectory)/\(stamp)-\(slug)"
    var attempt = 1
    while manager.fileExists(atPath: target) {
      attempt += 1
      target = "\(asideDirectory)/\(stamp)-\(slug)-\(attempt)"
    }
    let notes = try readNotes()
    if mkdir(asideDirectory, 0o700) != 0, errno != EEXIST {
      throw PilotError("cannot create \(asideDirectory) to move etcd's data aside: \(String(cString: strerror(errno)))")
    }
    if manager.fileExists(atPath: etcdDataDirectory) {
      // The data directory becomes the copy's folder; the record and the notes go in after.
      guard mkdir(target, 0o700) == 0 else {
        throw PilotError("cannot create \(target) to move etcd's data aside: \(String(cString: strerror(errno)))")
      }
      guard rename(etcdDataDirectory, "\(target)/etcd") == 0 else {
        let code = errno
        rmdir(target)
        throw PilotError("cannot move \(etcdDataDirectory) aside to \(target): \(String(cString: strerror(code)))")
      }
    } else if mkdir(target, 0o700) != 0 {
      throw PilotError("cannot create \(target): \(String(cString: strerror(errno)))")
    }
    // Small files; on a full volume they may fail, and the data is aside all the same.
    let record = AsideRecord(reason: reason, redundant: redundant, movedAt: stamp)
    if let data = try? JSONEncoder().encode(record) {
      manager.createFile(atPath: "\(target)/\(Self.asideRecordName)", contents: data)
    }
    try? manager.copyItem(atPath: notesFile, toPath: "\(target)/pilot.json")
    try writeNotes(
      PilotNotes(
        marker: nil, formed: notes.formed, memberID: nil, token: notes.token, clusterID: notes.clusterID,
        served: notes.served))
    return target
  }

  /// Deletes the named aside copies.
  public func deleteAsideCopies(_ names: [String]) throws(PilotError) -> [String] {
    var deleted: [String] = []
    for name in names {
      guard !name.contains("/"), !name.hasPrefix(".") else { throw PilotError("'\(name)' is not an aside copy's name") }
      let path = "\(asideDirectory)/\(name)"
      do { try FileManager.default.removeItem(atPath: path) } catch {
        throw PilotError("cannot delete the aside copy \(path): \(error)")
      }
      deleted.append(path)
    }
    return deleted
  }

  /// Free bytes on the volume's file system.
  public var freeBytes: Int64? {
    guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: root),
      let free = attributes[.systemFreeSize] as? NSNumber
    else { return nil }
    return free.int64Value
  }

  public func ensureExists() throws(PilotError) {
    do {
      try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    } catch {
      throw PilotError("cannot create the volume directory \(root): \(error)")
    }
  }

  /// What the volume holds; throws when any of it cannot be read.
  public func state() throws(PilotError) -> VolumeState {
    let data = try etcdData()
    let identity: DataIdentity?
    do {
      identity = data.member ? try WALReader.identity(dataDirectory: etcdDataDirectory) : nil
    } catch {
      throw PilotError(error.description)
    }
    var state = VolumeState(
      hasEtcdData: data.member, notes: try readNotes(), aside: try asideCopies(), freeBytes: freeBytes,
      dataIdentity: identity)
    state.hasPartialData = data.partial
    return state
  }

  static func timestamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return formatter.string(from: date)
  }
}

/// Writes a file in one rename so readers never see half of it.
public enum AtomicFile {
  public static func write(_ data: Data, to path: String) throws {
    let temporary = "\(path).tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: data) else {
      throw PilotError("cannot write \(temporary): check the directory and its permissions")
    }
    guard rename(temporary, path) == 0 else {
      throw PilotError("cannot move \(temporary) to \(path)")
    }
  }
}

/// An error of the pilot, said in one line with what to do.
public struct PilotError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
