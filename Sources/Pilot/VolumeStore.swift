import Foundation
import Membership

/// The pilot's volume: etcd's data in `etcd/`, the pilot's notes in `pilot.json`, and copies
/// moved aside in `aside/<time>-<reason>/`. Nothing here deletes data, except older aside copies
/// once the pod is a healthy member again.
public struct VolumeStore: Sendable {
  public let root: String

  public init(root: String) { self.root = root }

  public var etcdDataDirectory: String { "\(root)/etcd" }
  var notesFile: String { "\(root)/pilot.json" }
  var asideDirectory: String { "\(root)/aside" }

  /// etcd has a member's data here: a WAL directory with at least one file.
  public var hasEtcdData: Bool {
    let wal = "\(etcdDataDirectory)/member/wal"
    let files = (try? FileManager.default.contentsOfDirectory(atPath: wal)) ?? []
    return files.contains { $0.hasSuffix(".wal") }
  }

  public func readNotes() throws(PilotError) -> PilotNotes {
    guard let data = FileManager.default.contents(atPath: notesFile) else { return PilotNotes() }
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

  /// Copies moved aside, oldest first.
  public var asideCopies: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: asideDirectory)) ?? []).sorted()
  }

  /// Moves etcd's data and the notes aside; returns where they went. The notes keep only what
  /// outlives a member: whether the cluster formed and its token.
  @discardableResult
  public func moveDataAside(reason: String, now: Date = Date()) throws(PilotError) -> String {
    let manager = FileManager.default
    let slug = String(reason.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(40))
    let stamp = Self.timestamp(now)
    var target = "\(asideDirectory)/\(stamp)-\(slug)"
    var attempt = 1
    while manager.fileExists(atPath: target) {
      attempt += 1
      target = "\(asideDirectory)/\(stamp)-\(slug)-\(attempt)"
    }
    let notes = (try? readNotes()) ?? PilotNotes()
    do {
      try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
      if manager.fileExists(atPath: etcdDataDirectory) {
        try manager.moveItem(atPath: etcdDataDirectory, toPath: "\(target)/etcd")
      }
      if manager.fileExists(atPath: notesFile) {
        try manager.copyItem(atPath: notesFile, toPath: "\(target)/pilot.json")
      }
    } catch {
      throw PilotError("cannot move \(etcdDataDirectory) aside to \(target): \(error)")
    }
    try writeNotes(PilotNotes(marker: nil, formed: notes.formed, memberID: nil, token: notes.token))
    return target
  }

  /// Deletes aside copies but the newest `keep`.
  public func pruneAsideCopies(keep: Int) throws(PilotError) -> [String] {
    let copies = asideCopies
    guard copies.count > keep else { return [] }
    let doomed = copies.prefix(copies.count - keep).map { "\(asideDirectory)/\($0)" }
    for path in doomed {
      do { try FileManager.default.removeItem(atPath: path) } catch {
        throw PilotError("cannot delete the old aside copy \(path): \(error)")
      }
    }
    return doomed
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

  public func state() throws(PilotError) -> VolumeState {
    VolumeState(hasEtcdData: hasEtcdData, notes: try readNotes(), asideCopies: asideCopies.count, freeBytes: freeBytes)
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
