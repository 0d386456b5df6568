import Foundation

/// Memory and idle CPU of processes, from /proc.
struct ProcessFootprint: Codable, Sendable {
  /// Resident set size in MiB (VmRSS), read at the end of the idle window.
  var rssMiB: Double
  /// CPU used over the idle window, in percent of one core.
  var idleCPUPercent: Double
  /// Private anonymous memory (heap, stacks) in MiB: what the process itself allocated; RSS adds
  /// the pages of shared libraries it touched, which processes of the same binary share.
  var anonymousMiB: Double?
  /// Proportional set size in MiB: RSS with each shared page divided among its sharers.
  var pssMiB: Double?

  /// A field of /proc/PID/smaps_rollup in MiB (`Anonymous`, `Pss`).
  static func rollup(_ field: String, of pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }),
      let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return nil }
    return kilobytes / 1024
  }

  /// VmRSS of `pid` in MiB, or nil when the process is gone.
  static func rssMiB(of pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
      let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return nil }
    return kilobytes / 1024
  }

  /// Watches `pids` for `window` while nothing else happens and reports each one's footprint.
  static func measureIdle(_ pids: [Int32], window: Duration) async throws -> [ProcessFootprint] {
    let clock = ContinuousClock()
    let before = pids.map { CPUTime.ofProcess($0) ?? 0 }
    let start = clock.now
    try await Task.sleep(for: window)
    let seconds = (clock.now - start).seconds
    return zip(pids, before).map { pid, cpu in
      ProcessFootprint(
        rssMiB: rssMiB(of: pid) ?? 0, idleCPUPercent: ((CPUTime.ofProcess(pid) ?? cpu) - cpu) / seconds * 100,
        anonymousMiB: rollup("Anonymous", of: pid), pssMiB: rollup("Pss", of: pid))
    }
  }

  /// The direct children of `pid` whose command name is `name` (an agent's etcd).
  static func children(of pid: Int32, named name: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { child in
      guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
        let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
      else { return false }
      let command = stat[stat.index(after: open)..<close]
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return command == name && fields.count > 1 && Int32(fields[1]) == pid
    }
  }
}
