import Foundation

/// The etcd executable the pilot runs: found, runnable, and 3.4 or newer.
public enum EtcdBinary {
  /// The path of `name` (a path, or a name looked up in PATH), checked to be etcd 3.4+.
  public static func check(_ name: String) throws(PilotError) -> (path: String, version: String) {
    let path: String
    if name.contains("/") {
      path = name
    } else {
      let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(
        separator: ":")
      guard
        let found = directories.map({ "\($0)/\(name)" }).first(where: {
          FileManager.default.isExecutableFile(atPath: $0)
        })
      else {
        throw PilotError(
          "etcd binary '\(name)' not found in PATH: install etcd 3.4 or newer, or pass --etcd /path/to/etcd")
      }
      path = found
    }
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw PilotError(
        "etcd binary \(path) does not exist or is not executable: pass --etcd /path/to/etcd (3.4 or newer)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["--version"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch {
      throw PilotError("cannot run \(path) --version: \(error)")
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (path, try version(fromOutput: output, path: path))
  }

  /// A known defect of this etcd release that can lose or change data, said once at start: the
  /// pilot runs it anyway (it may be all a user has), and its consistency check replaces a
  /// member the defect made diverge — but what that member served meanwhile may have been wrong.
  public static func knownDefect(version: String) -> String? {
    let numbers = version.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
    guard numbers.count >= 3, numbers[0] == 3, numbers[1] == 5, numbers[2] <= 2 else { return nil }
    return
      "etcd \(version) can skip writes it had applied when it is killed under load and come back with data that differs from the other members' (etcd issue 13766, fixed in 3.5.3); the consistency check replaces such a member, but reads it serves until then may be wrong: run etcd 3.5.6 or newer"
  }

  /// The version from `etcd --version` output, refused unless it is 3.4 or newer.
  public static func version(fromOutput output: String, path: String) throws(PilotError) -> String {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("etcd Version:") }) else {
      throw PilotError("\(path) is not etcd (its --version printed no 'etcd Version:'): pass --etcd /path/to/etcd")
    }
    let version = line.dropFirst("etcd Version:".count).trimmingCharacters(in: .whitespaces)
    let numbers = version.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
    guard numbers.count >= 2, numbers[0] > 3 || (numbers[0] == 3 && numbers[1] >= 4) else {
      throw PilotError("\(path) is etcd \(version); etcd-pilot needs 3.4 or newer")
    }
    return version
  }
}
