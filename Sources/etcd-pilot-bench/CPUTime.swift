import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time (user + system, all threads) used by a process: how much of the machine's two cores
/// a client or the server spends on the requests of a run.
enum CPUTime {
  /// CPU seconds used so far by this process.
  static func ofThisProcess() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// CPU seconds used so far by process `pid`, from /proc/PID/stat (clock-tick resolution);
  /// `nil` when it cannot be read.
  static func ofProcess(_ pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }
}
