import Foundation
import Testing

/// Damages an etcd WAL segment the way a bad disk does, so that etcd refuses it for certain.
///
/// Flipping bytes at a fixed offset is not enough: etcd takes a damaged record for a torn write —
/// and silently truncates the log there — when any 512-byte sector of the record reads as zeros,
/// which a record's zero padding across a sector boundary can. A member that was the leader then
/// even heals from the new leader's log, so the "corruption" goes unnoticed. Here one byte inside
/// the payload of a record that lies within a single sector is flipped: the record still parses,
/// its checksum does not match, and no sector of it is zeros — etcd stops with "crc mismatch".
enum WALDamage {
  /// One WAL frame: where its record starts and how long the record is, without padding.
  struct Frame {
    var offset: Int
    var length: Int
    var padding: Int
    var end: Int { offset + 8 + length + padding }
  }

  /// The frames at the start of a segment, up to the zero-filled preallocated tail.
  static func frames(_ bytes: [UInt8]) -> [Frame] {
    var frames: [Frame] = []
    var offset = 0
    while offset + 8 <= bytes.count {
      let field = bytes[offset..<offset + 8].enumerated().reduce(UInt64(0)) {
        $0 | UInt64($1.element) << (8 * UInt64($1.offset))
      }
      if field == 0 { break }
      let length = Int(field & 0x00ff_ffff_ffff_ffff)
      let padding = field >> 63 == 1 ? Int((field >> 56) & 0x7) : 0
      let frame = Frame(offset: offset, length: length, padding: padding)
      guard frame.end <= bytes.count else { break }
      frames.append(frame)
      offset = frame.end
    }
    return frames
  }

  /// Flips the last payload byte of a record in the middle of the segment; returns its offset.
  @discardableResult
  static func corruptRecord(inSegment path: String) throws -> Int {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    let bytes = [UInt8](try #require(try handle.read(upToCount: 1 << 20)))
    let all = frames(bytes)
    // Records within one sector, long enough to carry an entry (type, crc, data).
    let candidates = all.dropFirst(all.count / 2).filter {
      $0.length >= 16 && ($0.offset + 8) / 512 == ($0.end - 1) / 512
    }
    let frame = try #require(candidates.first, "no record to damage among \(all.count) frames in \(path)")
    // The data field is the record's last field, so its last byte is the record's last byte.
    let target = frame.offset + 8 + frame.length - 1
    try handle.seek(toOffset: UInt64(target))
    try handle.write(contentsOf: Data([bytes[target] ^ 0xff]))
    try handle.synchronize()
    return target
  }
}
