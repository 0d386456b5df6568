import Foundation
import Membership

/// Reads what the engine needs from an etcd WAL (`<data-dir>/member/wal/*.wal`) without
/// changing it: the last entry, the last persisted commit index, and the vote of every term.
///
/// The format, as etcd writes it: a segment is a sequence of frames, each an 8-byte
/// little-endian length (the low 56 bits; with the top bit set, bits 56–58 give the zero
/// padding that follows) and a `walpb.Record` {type = 1, crc = 2, data = 3}. Entry records
/// (type 2) hold a `raftpb.Entry` {term = 2, index = 3}; state records (type 3) a
/// `raftpb.HardState` {term = 1, vote = 2, commit = 3}. A later entry with an index already
/// seen replaces it and everything after it (raft truncated a conflicting tail). The
/// preallocated rest of the last segment is zeros.
public enum WALReader {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
  }

  static let metadataRecord: UInt64 = 1
  static let entryRecord: UInt64 = 2
  static let stateRecord: UInt64 = 3

  /// The member and cluster IDs the WAL was created for: its metadata record
  /// (`etcdserverpb.Metadata` {NodeID = 1, ClusterID = 2}), which begins every segment. Only the
  /// first 64 KiB of the first segment are read. `nil` when the WAL has no segment yet.
  public static func identity(dataDirectory: String) throws(Failure) -> DataIdentity? {
    let directory = "\(dataDirectory)/member/wal"
    let listed: [String]?
    do {
      listed = try VolumeFiles.list(directory, purpose: "etcd's WAL")
    } catch {
      throw Failure(description: error.description)
    }
    guard let first = listed?.filter({ $0.hasSuffix(".wal") }).sorted().first else { return nil }
    let path = "\(directory)/\(first)"
    let bytes: [UInt8]
    do {
      bytes = try VolumeFiles.read(path, upTo: 64 << 10)
    } catch {
      throw Failure(description: error.description)
    }
    var offset = 0
    while offset + 8 <= bytes.count {
      var field: UInt64 = 0
      for byte in 0..<8 { field |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte)) }
      if field == 0 { break }
      let length = Int(field & 0x00ff_ffff_ffff_ffff)
      let padding = field >> 63 == 1 ? Int((field >> 56) & 0x7) : 0
      let start = offset + 8
      guard length > 0, start + length <= bytes.count else { break }
      let record = try fields(bytes[start..<start + length])
      offset = start + length + padding
      if record.varints[1] == metadataRecord, let data = record.bytes[3] {
        let metadata = try fields(data)
        guard let member = metadata.varints[1], let cluster = metadata.varints[2] else {
          throw Failure(description: "the WAL's metadata record in \(path) names no member or cluster")
        }
        return DataIdentity(memberID: member, clusterID: cluster)
      }
    }
    return nil
  }

  /// The log tail of the member whose data directory (etcd's `--data-dir`) is `dataDirectory`.
  public static func tail(dataDirectory: String) throws -> LogTail {
    let directory = "\(dataDirectory)/member/wal"
    let names: [String]
    do {
      names = try VolumeFiles.list(directory, purpose: "etcd's WAL")?.filter { $0.hasSuffix(".wal") }.sorted() ?? []
    } catch {
      throw Failure(description: error.description)
    }
    guard !names.isEmpty else { throw Failure(description: "no WAL segment in \(directory)") }
    // One segment in memory at a time (each is preallocated to 64 MB).
    var scan = Scan()
    for name in names {
      guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else {
        throw Failure(description: "cannot read the WAL segment \(directory)/\(name)")
      }
      try scan.read([UInt8](data))
    }
    var tail = try scan.tail()
    let backend = "\(dataDirectory)/member/snap/db"
    if FileManager.default.fileExists(atPath: backend) {
      do {
        tail.appliedIndex = try BackendReader(path: backend).consistentIndex()
      } catch {
        throw Failure(description: "cannot read the applied index in \(backend): \(error)")
      }
    }
    return tail
  }

  /// The log tail of WAL segments given in order.
  public static func tail(segments: [[UInt8]]) throws -> LogTail {
    var scan = Scan()
    for segment in segments { try scan.read(segment) }
    return try scan.tail()
  }

  /// What has been read so far, segment after segment.
  struct Scan {
    /// Terms of the entries from `firstIndex` on, truncated when raft overwrote a tail.
    var firstIndex: UInt64 = 0
    var terms: [UInt64] = []
    var commit: UInt64 = 0
    var votes: [UInt64: UInt64] = [:]
    var sawState = false

    mutating func read(_ segment: [UInt8]) throws {
      var offset = 0
      while offset + 8 <= segment.count {
        var field: UInt64 = 0
        for byte in 0..<8 { field |= UInt64(segment[offset + byte]) << (8 * UInt64(byte)) }
        if field == 0 { break }
        let length = Int(field & 0x00ff_ffff_ffff_ffff)
        let padding = field >> 63 == 1 ? Int((field >> 56) & 0x7) : 0
        let start = offset + 8
        // A torn write at the end: etcd stops there too.
        guard length > 0, start + length <= segment.count else { break }
        let record = try fields(segment[start..<start + length])
        offset = start + length + padding
        guard let type = record.varints[1], let data = record.bytes[3] else { continue }
        if type == entryRecord {
          let entry = try fields(data)
          append(index: entry.varints[3] ?? 0, term: entry.varints[2] ?? 0)
        } else if type == stateRecord {
          let state = try fields(data)
          sawState = true
          commit = state.varints[3] ?? 0
          if let term = state.varints[1], let vote = state.varints[2], vote != 0 { votes[term] = vote }
        }
      }
    }

    /// An entry replaces the one with its index and everything after it, as raft's log does.
    mutating func append(index: UInt64, term: UInt64) {
      guard !terms.isEmpty, index >= firstIndex, Int(index - firstIndex) <= terms.count else {
        // The first entry, or one before (or, after a gap, beyond) what is known: start here.
        firstIndex = index
        terms = [term]
        return
      }
      terms.removeSubrange(Int(index - firstIndex)...)
      terms.append(term)
    }

    func tail() throws -> LogTail {
      guard sawState || !terms.isEmpty else { throw Failure(description: "the WAL holds no entry and no state record") }
      let lastIndex = terms.isEmpty ? commit : firstIndex + UInt64(terms.count) - 1
      var leaders: Set<UInt64> = []
      if lastIndex > commit, !terms.isEmpty {
        let from = commit >= firstIndex ? Int(commit - firstIndex) + 1 : 0
        for term in Set(terms[from...]) { leaders.insert(votes[term] ?? 0) }
      }
      return LogTail(commit: commit, lastIndex: lastIndex, leadersBeyondCommit: leaders)
    }
  }

  /// The varint and length-delimited fields of a protobuf message (the last of each number).
  static func fields(_ bytes: some Collection<UInt8>) throws(Failure) -> (varints: [Int: UInt64], bytes: [Int: [UInt8]])
  {
    let bytes = Array(bytes)
    var varints: [Int: UInt64] = [:]
    var blobs: [Int: [UInt8]] = [:]
    var offset = 0
    func varint() throws(Failure) -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while offset < bytes.count, shift < 64 {
        let byte = bytes[offset]
        offset += 1
        value |= UInt64(byte & 0x7f) << shift
        if byte & 0x80 == 0 { return value }
        shift += 7
      }
      throw Failure(description: "a WAL record ends inside a number")
    }
    while offset < bytes.count {
      let key = try varint()
      let number = Int(key >> 3)
      switch key & 7 {
      case 0: varints[number] = try varint()
      case 1: offset += 8
      case 2:
        let length = Int(try varint())
        guard length >= 0, offset + length <= bytes.count else {
          throw Failure(description: "a WAL record ends inside a field")
        }
        blobs[number] = Array(bytes[offset..<offset + length])
        offset += length
      case 5: offset += 4
      default: throw Failure(description: "a WAL record has a field of unknown wire type \(key & 7)")
      }
    }
    guard offset <= bytes.count else { throw Failure(description: "a WAL record ends inside a field") }
    return (varints, blobs)
  }
}
