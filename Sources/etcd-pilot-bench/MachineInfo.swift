import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The machine a benchmark ran on, for the report.
struct MachineInfo: Codable, Sendable {
  /// Online processors, as `nproc` counts them.
  var processors: Int
  /// The CPU model, from /proc/cpuinfo.
  var cpuModel: String
  /// Kernel name and release.
  var kernel: String
  /// Total memory in GiB.
  var memoryGiB: Double

  /// Describes this machine.
  static func current() -> MachineInfo {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuinfo.split(separator: "\n")
      .first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }
      .map { String($0).trimmingCharacters(in: .whitespaces) } ?? "unknown"
    var names = utsname()
    uname(&names)
    let kernel = [withUnsafeBytes(of: &names.sysname, Self.string), withUnsafeBytes(of: &names.release, Self.string)]
      .joined(separator: " ")
    return MachineInfo(
      processors: ProcessInfo.processInfo.activeProcessorCount,
      cpuModel: model,
      kernel: kernel,
      memoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30) * 10).rounded() / 10)
  }

  /// The 1, 5 and 15 minute load averages now (/proc/loadavg): other work on the machine skews
  /// every client's numbers.
  static func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
  }

  private static func string(_ bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  }
}
