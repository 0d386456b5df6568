import Foundation

/// A key or a range of keys, as etcd's `key` and `range_end` describe it.
///
/// A string literal, also an interpolated one, is a single key: `etcd.get("config/\(name)")`; `etcd.get(.prefix("config/"))` reads
/// every key under a prefix.
public struct KeyRange: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
  public var key: Data
  /// Empty: just `key`. `[0]`: every key from `key` on. Otherwise the half-open range
  /// `[key, rangeEnd)`.
  public var rangeEnd: Data

  public init(key: Data, rangeEnd: Data = Data()) {
    self.key = key
    self.rangeEnd = rangeEnd
  }

  public init(stringLiteral value: String) {
    self.init(key: Data(value.utf8))
  }

  public init(stringInterpolation: DefaultStringInterpolation) {
    self.init(key: Data(String(stringInterpolation: stringInterpolation).utf8))
  }

  /// Exactly one key.
  public static func key(_ key: some EtcdBytes) -> KeyRange {
    KeyRange(key: key.etcdBytes)
  }

  /// Every key that starts with `prefix`. An empty prefix means every key.
  public static func prefix(_ prefix: some EtcdBytes) -> KeyRange {
    let bytes = prefix.etcdBytes
    guard !bytes.isEmpty else { return .all }
    return KeyRange(key: bytes, rangeEnd: prefixEnd(bytes))
  }

  /// Every key in `[start, end)`.
  public static func range(from start: some EtcdBytes, to end: some EtcdBytes) -> KeyRange {
    KeyRange(key: start.etcdBytes, rangeEnd: end.etcdBytes)
  }

  /// Every key greater than or equal to `start`.
  public static func from(_ start: some EtcdBytes) -> KeyRange {
    KeyRange(key: start.etcdBytes, rangeEnd: Data([0]))
  }

  /// Every key.
  public static let all = KeyRange(key: Data([0]), rangeEnd: Data([0]))

  /// The smallest key greater than every key with `prefix`: the prefix with its last byte below
  /// 0xff incremented and what follows dropped; `[0]` (no end) when every byte is 0xff.
  static func prefixEnd(_ prefix: Data) -> Data {
    var bytes = [UInt8](prefix)
    while let last = bytes.last {
      if last < 0xff {
        bytes[bytes.count - 1] = last + 1
        return Data(bytes)
      }
      bytes.removeLast()
    }
    return Data([0])
  }

  public var description: String {
    let key = String(decoding: self.key, as: UTF8.self)
    if rangeEnd.isEmpty { return key }
    if rangeEnd == Data([0]) { return "\(key)…" }
    return "[\(key), \(String(decoding: rangeEnd, as: UTF8.self)))"
  }
}
