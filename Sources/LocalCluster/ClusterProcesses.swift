import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The processes of a local cluster's pods, found from /proc when no supervisor runs: pods a
/// supervisor left behind (it was killed before their death signal could stop them, or they
/// did not stop on it). `status`, `down` and `up` look for them, so a new run never mistakes
/// them for its own pods and `down --purge` never deletes a folder under them.
///
/// A pod's processes are known two ways: their command lines give a data directory in the
/// cluster's volumes (`--data-dir <dir>/volumes/…`), and the supervisor records each pod's process group
/// (`pod-processes.json`; a chart's pods name only their mount points).
public enum ClusterProcesses {
  /// A pod process as the supervisor records it: its PID leads the pod's process group;
  /// `startTime` (clock ticks since boot, from /proc) tells it from a later process of that PID.
  struct Record: Codable, Sendable, Hashable {
    var pid: Int32
    var startTime: UInt64
  }

  /// The records of the running pods, by pod name.
  static func write(_ records: [String: Record], to layout: LocalClusterLayout) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let path = layout.podProcessesFile
    let temporary = path + ".tmp"
    try encoder.encode(records).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else { throw LocalClusterError("cannot move \(temporary) to \(path)") }
  }

  static func records(_ layout: LocalClusterLayout) -> [String: Record] {
    guard let data = FileManager.default.contents(atPath: layout.podProcessesFile) else { return [:] }
    return (try? JSONDecoder().decode([String: Record].self, from: data)) ?? [:]
  }

  /// What /proc says of one process.
  struct Stat: Sendable, Hashable {
    var pid: Int32
    var state: Character
    var parent: Int32
    var group: Int32
    var startTime: UInt64
  }

  static func stat(_ pid: Int32) -> Stat? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    // The command name is in parentheses and may hold spaces: fields are counted after it.
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 19, let state = fields[0].first, let parent = Int32(fields[1]), let group = Int32(fields[2]),
      let start = UInt64(fields[19])
    else { return nil }
    return Stat(pid: pid, state: state, parent: parent, group: group, startTime: start)
  }

  static func allProcesses() -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
  }

  /// The pod processes of `layout` that run now, oldest first; meaningful only while no
  /// supervisor holds the folder's ``SupervisorLock``. Zombies (dead, not yet reaped) are not
  /// counted: they hold no port and no file.
  public static func orphans(_ layout: LocalClusterLayout) -> [Int32] {
    // A pilot's and its etcd's `--data-dir` is a pod's volume (or a folder in it); another
    // program that merely names a file there (`less …/volumes/etcd-0/…`) is not a pod.
    let dataDirectory = "--data-dir\0\(layout.directory)/volumes/"
    let records = records(layout).values
    var found: [Stat] = []
    let stats = allProcesses().filter { $0 != getpid() }.compactMap(stat)
    let alive = stats.filter { $0.state != "Z" && $0.state != "X" }
    let byPID = Dictionary(stats.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
    // A recorded group is the pod's while its leader is the recorded process, or while it has
    // no leader left (a PID that leads a live group is never given to another process).
    let groups = Set(
      records.filter { record in byPID[record.pid].map { $0.startTime == record.startTime } ?? true }.map(\.pid))
    for process in alive {
      if groups.contains(process.group) {
        found.append(process)
        continue
      }
      let commandLine = FileManager.default.contents(atPath: "/proc/\(process.pid)/cmdline").map {
        String(decoding: $0, as: UTF8.self)
      }
      if let commandLine, commandLine.contains(dataDirectory) { found.append(process) }
    }
    return found.sorted { $0.startTime < $1.startTime }.map(\.pid)
  }

  /// The process's command name, e.g. `etcd`.
  public static func name(_ pid: Int32) -> String {
    let comm = FileManager.default.contents(atPath: "/proc/\(pid)/comm").map { String(decoding: $0, as: UTF8.self) }
    return comm?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
  }

  /// `1234 (etcd-pilot), 1240 (etcd)`.
  public static func describe(_ pids: [Int32]) -> String {
    pids.map { "\($0) (\(name($0)))" }.joined(separator: ", ")
  }

  /// Stops `pids` as a StatefulSet deletes pods: SIGTERM (and SIGCONT, for a stopped one), then
  /// SIGKILL after `grace`; returns once none runs, or those still running after the SIGKILL.
  public static func stop(_ pids: [Int32], grace: Duration) async -> [Int32] {
    func running() -> [Int32] {
      pids.filter { pid in stat(pid).map { $0.state != "Z" && $0.state != "X" } ?? false }
    }
    for pid in pids {
      kill(pid, SIGTERM)
      kill(pid, SIGCONT)
    }
    let deadline = ContinuousClock.now + grace
    while !running().isEmpty, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
    for pid in running() { kill(pid, SIGKILL) }
    let killed = ContinuousClock.now + .seconds(5)
    while !running().isEmpty, ContinuousClock.now < killed { try? await Task.sleep(for: .milliseconds(100)) }
    return running()
  }
}
