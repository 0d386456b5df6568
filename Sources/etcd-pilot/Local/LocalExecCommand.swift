import ArgumentParser
import ChildProcess
import Foundation
import LocalCluster

/// `etcd-pilot local exec ORDINAL -- COMMAND…`: runs a command inside a pod, with its
/// environment, mounts and user, as `kubectl exec` does (e.g. `… -- etcd-pilot health`).
struct LocalExecCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exec", abstract: "Runs a command inside a pod: its environment, its mounts (as root), its user.")

  @OptionGroup var options: LocalOptions
  @Argument var ordinal: Int
  @Argument(parsing: .postTerminator) var command: [String] = []

  func run() async throws {
    do {
      guard !command.isEmpty else {
        throw LocalClusterError("no command: write it after --, e.g. -- etcd-pilot health")
      }
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      guard let pod = try await client.status().pods.first(where: { $0.ordinal == ordinal }), let pid = pod.pid else {
        throw LocalClusterError("pod \(ordinal) is not running")
      }
      let environment = ProcessEnvironment.of(pid)
      let (uid, gid) = ProcessEnvironment.user(of: pid)
      var argv = command
      if getuid() == 0 {
        argv =
          [
            "/usr/bin/nsenter", "--target", String(pid), "--mount", "--", "setpriv", "--reuid=\(uid)", "--regid=\(gid)",
            "--clear-groups", "--",
          ] + command
      }
      let child = try await ChildProcess.start(
        argv[0], arguments: Array(argv.dropFirst()), environment: environment.mapValues { Optional($0) },
        inheritEnvironment: false, output: .lines { line in print(line) })
      switch await child.wait() {
      case .exited(0): return
      case .exited(let code): throw ExitCode(code)
      case .signaled(let signal): throw ExitCode(128 + signal)
      }
    } catch let error as ExitCode {
      throw error
    } catch {
      throw Failure.exit("local exec", error)
    }
  }
}

/// A running process's environment and user, from /proc.
enum ProcessEnvironment {
  static func of(_ pid: Int32) -> [String: String] {
    let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
    var result: [String: String] = [:]
    for item in data.split(separator: 0) {
      let text = String(decoding: item, as: UTF8.self)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
    }
    if result["PATH"] == nil { result["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
    return result
  }

  static func user(of pid: Int32) -> (uid: Int, gid: Int) {
    let status = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/status") ?? Data(), as: UTF8.self)
    func first(_ key: String) -> Int {
      status.split(separator: "\n").first { $0.hasPrefix(key) }?.split(separator: "\t").dropFirst().first.flatMap {
        Int($0)
      } ?? 0
    }
    return (first("Uid:"), first("Gid:"))
  }
}
