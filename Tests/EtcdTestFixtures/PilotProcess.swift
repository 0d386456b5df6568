import ChildProcess
import Foundation

/// One `etcd-pilot member` run by a test directly (not through the local StatefulSet): for what
/// a single pilot does with what it finds — a volume, a cluster on a pod's address. Its replica
/// count and cluster record are files under `directory`. Stop it with ``stop()``.
public final class PilotProcess: Sendable {
  public let directory: String
  public let logFile: String
  private let process: ChildProcess

  private init(directory: String, logFile: String, process: ChildProcess) {
    self.directory = directory
    self.logFile = logFile
    self.process = process
  }

  /// Starts pod `name` of a StatefulSet of `replicas`, pods at `hostTemplate`, its volume at
  /// `volume`; `user` runs it as that uid and gid (with setpriv) instead of the test's.
  public static func start(
    name: String, replicas: Int, hostTemplate: String, listenHost: String, volume: String, version: EtcdVersion,
    user: Int? = nil, extraArguments: [String] = []
  ) async throws -> PilotProcess {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-pilot-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let statefulSet = String(name[..<name.lastIndex(of: "-")!])
    let file = """
      {"name":"\(statefulSet)","namespace":"test","replicas":\(replicas),"generation":1,"observedGeneration":1,"deleting":false,"pods":[]}
      """
    FileManager.default.createFile(atPath: "\(directory)/statefulset.json", contents: Data(file.utf8))
    chmod(directory, 0o755)
    let arguments =
      [
        "member", "--name", name, "--namespace", "test", "--host-template", hostTemplate, "--listen-host", listenHost,
        "--data-dir", volume, "--etcd", version.etcd, "--replicas-from", "file:\(directory)/statefulset.json",
        "--cluster-record", "file:\(directory)/cluster-record.json", "--poll-interval", "500ms",
      ] + extraArguments
    let (executable, fullArguments) =
      if let user {
        (
          "/usr/bin/setpriv",
          ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--", try PilotBinary.path] + arguments
        )
      } else {
        (try PilotBinary.path, arguments)
      }
    let logFile = "\(directory)/pilot.log"
    let process = try await ChildProcess.start(
      executable, arguments: fullArguments, logFile: logFile, newProcessGroup: true)
    return PilotProcess(directory: directory, logFile: logFile, process: process)
  }

  public var log: String { String(decoding: FileManager.default.contents(atPath: logFile) ?? Data(), as: UTF8.self) }

  /// Waits until the log holds `text`; throws with the log's tail when it does not in time.
  public func waitForLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
    do {
      _ = try await eventually("the pilot to log \"\(text)\"", timeout: timeout) {
        self.log.contains(text) ? true : nil
      }
    } catch {
      throw FixtureError(
        "\(error)\n--- pilot log ---\n\(log.split(separator: "\n").suffix(20).joined(separator: "\n"))")
    }
  }

  /// Stops the pilot and everything it started, and removes its files.
  public func stop() async {
    process.signalGroup(SIGTERM)
    await process.stop(signal: SIGTERM, grace: .seconds(20))
    // Whatever of its group is left (its etcd, if the pilot died first).
    kill(-process.pid, SIGKILL)
    try? FileManager.default.removeItem(atPath: directory)
  }
}
