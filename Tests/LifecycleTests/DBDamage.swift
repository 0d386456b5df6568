import Foundation

/// Makes a stopped member's database claim it applied more of the log than it did — the state
/// etcd 3.5.0–3.5.2 could leave behind when killed under load (etcd issue 13766), where the
/// consistent index was saved apart from the writes it covered. Restarted, etcd skips the
/// entries up to the claimed index as already applied: its data silently diverges from the
/// other members', while raft, the member list and health all look fine.
enum DBDamage {
  /// Adds `entries` to the consistent index in every copy of the `meta` bucket's
  /// `consistent_index` value in the bbolt file (the live page among them: bbolt writes pages
  /// copy-on-write and checksums only its meta pages, so an in-place value of the same size is
  /// read back as it is). Returns the live value before and after.
  @discardableResult
  static func advanceConsistentIndex(
    database path: String, by entries: UInt64
  ) throws -> (before: UInt64, after: UInt64) {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let key = Array("consistent_index".utf8)
    var positions: [Int] = []
    var index = 0
    while index + key.count + 8 <= bytes.count {
      if bytes[index] == key[0], Array(bytes[index..<index + key.count]) == key { positions.append(index + key.count) }
      index += 1
    }
    guard !positions.isEmpty else { throw DamageError("no consistent_index in \(path)") }
    func value(at position: Int) -> UInt64 { bytes[position..<position + 8].reduce(0) { $0 << 8 | UInt64($1) } }
    // The live page holds the newest value.
    let before = positions.map(value).max()!
    for position in positions {
      let advanced = value(at: position) + entries
      for byte in 0..<8 { bytes[position + byte] = UInt8((advanced >> (8 * UInt64(7 - byte))) & 0xff) }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return (before, before + entries)
  }

  struct DamageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }
}
