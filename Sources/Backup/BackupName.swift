import Foundation

/// The name of a backup file: `<prefix>-<UTC time>.db`, e.g. `etcd-20261201T201500Z.db`, with
/// `-2`, `-3`… before `.db` when a backup of the same second exists. Names sort by time, and
/// only names of this form are ever considered for removal by ``BackupRetention``.
public struct BackupName: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var prefix: String
  /// Seconds since 1970, UTC, whole.
  public var time: Int64
  /// 1 for the first backup of a second, 2 for the next, …
  public var sequence: Int

  public init(prefix: String, time: Int64, sequence: Int = 1) {
    self.prefix = prefix
    self.time = time
    self.sequence = sequence
  }

  public var description: String {
    "\(prefix)-\(Self.stamp(time))\(sequence > 1 ? "-\(sequence)" : "").db"
  }

  /// The name of a file in a backup folder, if it is a backup of `prefix`.
  public init?(parsing file: String, prefix: String) {
    guard file.hasPrefix(prefix + "-"), file.hasSuffix(".db") else { return nil }
    let body = file.dropFirst(prefix.count + 1).dropLast(3)
    let parts = body.split(separator: "-", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), let time = Self.time(of: parts[0]) else { return nil }
    var sequence = 1
    if parts.count == 2 {
      guard let number = Int(parts[1]), number >= 2, String(number) == parts[1] else { return nil }
      sequence = number
    }
    self.init(prefix: prefix, time: time, sequence: sequence)
  }

  public static func < (a: BackupName, b: BackupName) -> Bool {
    (a.time, a.sequence) < (b.time, b.sequence)
  }

  /// `20261201T201500Z`.
  static func stamp(_ time: Int64) -> String {
    var seconds = time_t(time)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(
      format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
  }

  static func time(of stamp: Substring) -> Int64? {
    let digits = Array(stamp.utf8)
    guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
    func number(_ range: Range<Int>) -> Int32? {
      var value: Int32 = 0
      for index in range {
        let digit = digits[index]
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
        value = value * 10 + Int32(digit - UInt8(ascii: "0"))
      }
      return value
    }
    guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
      let minute = number(11..<13), let second = number(13..<15),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
    else { return nil }
    var parts = tm()
    parts.tm_year = year - 1900
    parts.tm_mon = month - 1
    parts.tm_mday = day
    parts.tm_hour = hour
    parts.tm_min = minute
    parts.tm_sec = second
    let time = Int64(timegm(&parts))
    // timegm normalizes 31 February into March: such a name is not one we wrote.
    return Self.stamp(time) == String(stamp) ? time : nil
  }
}
