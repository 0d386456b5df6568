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
  }

  static let entryRecord: UInt64 = 2
  static let stateRecord: UInt64 = 3

  /// The log tail of the member whose data directory (etcd's `--data-dir`) is `dataDirectory`.
  public static func tail(dataDirectory: String) throws -> LogTail {
    let directory = "\(dataDirectory)/member/wal"
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wal") }.sorted()
    } catch {
      throw Failure(description: "cannot list the WAL in \(directory): \(error)")
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
    return try scan.tail()
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
  static func fields(_ bytes: some Collection<UInt8>) throws -> (varints: [Int: UInt64], bytes: [Int: [UInt8]]) {
    let bytes = Array(bytes)
    var varints: [Int: UInt64] = [:]
    var blobs: [Int: [UInt8]] = [:]
    var offset = 0
    func varint() throws -> UInt64 {
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
        guard length >= 0, offset + length <= bytes.count else { throw Failure(description: "a WAL record ends inside a field") }
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
