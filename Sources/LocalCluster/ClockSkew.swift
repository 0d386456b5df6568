import Foundation
import Pilot

/// Pods whose wall clocks can be set apart from the machine's (`local up --clock-skew`), as the
/// nodes of a real cluster drift or are stepped by NTP. Each pod runs under libfaketime, which
/// reads the pod's offset from a file once a second; only the wall clock moves, a monotonic
/// clock never does — as on a real node. A test bed's fault (`verify` schedule 3), never a
/// part of a member in production.
public enum ClockSkew {
  /// Where Debian's `faketime` package puts the library.
  public static let libraryCandidates = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
  ]

  /// The library, or why `--clock-skew` cannot be used, in one line with the fix.
  public static func library() throws(LocalClusterError) -> String {
    guard let found = libraryCandidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
      throw LocalClusterError(
        "--clock-skew needs libfaketime, which is not installed: install Debian's faketime package (apt-get install faketime), or leave out --clock-skew"
      )
    }
    return found
  }

  /// The environment a pod starts with: the library preloaded, its offset file, the
  /// monotonic clocks left alone.
  static func environment(offsetFile: String) throws(LocalClusterError) -> [String: String] {
    [
      "LD_PRELOAD": try library(), "FAKETIME_TIMESTAMP_FILE": offsetFile, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
      "FAKETIME_CACHE_DURATION": "1",
    ]
  }

  /// Sets pod `name`'s clock `seconds` from the true time (0: right again); running pods see it
  /// within a second.
  public static func set(_ seconds: Int, pod name: String, layout: LocalClusterLayout) throws {
    let file = layout.clockFile(name)
    try FileManager.default.createDirectory(
      atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    // libfaketime's relative form: "+300" or "-120" (seconds).
    try AtomicFile.write(Data("\(seconds >= 0 ? "+" : "")\(seconds)\n".utf8), to: file)
  }

  /// The offset file of pod `name`, made (true time) if it does not exist yet.
  static func offsetFile(pod name: String, layout: LocalClusterLayout) throws -> String {
    let file = layout.clockFile(name)
    if !FileManager.default.fileExists(atPath: file) { try set(0, pod: name, layout: layout) }
    return file
  }
}
