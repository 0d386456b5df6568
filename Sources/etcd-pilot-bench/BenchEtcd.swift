import ChildProcess
import EtcdClient
import Foundation

/// The one etcd server that every client in a benchmark talks to: a single member on a loopback
/// address with its own data directory, started and stopped by the harness.
struct BenchEtcd: Sendable {
  /// The etcd binary.
  let path: String
  /// The client URL, `http://host:2379`.
  let endpoint: EtcdEndpoint
  /// Holds `data/` and `etcd.log`; removed by ``stop(removingFiles:)``.
  let directory: URL
  /// What `etcd --version` printed first: `3.5.1`.
  let version: String
  private let process: ChildProcess

  /// The server's process ID.
  var pid: Int32 { process.pid }

  /// The server's log.
  var logFile: String { directory.appendingPathComponent("etcd.log").path }

  /// Starts etcd at `path` listening on `host` (ports 2379 and 2380), in a fresh temporary
  /// directory. Returns once the process runs; ``waitUntilReady(_:timeout:)`` waits for it to serve.
  static func start(path: String, host: String) async throws -> BenchEtcd {
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw BenchError("no etcd binary at \(path): run bench/setup.sh or pass --etcd PATH")
    }
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent(
        "etcd-pilot-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let version = try await Self.version(of: path, scratch: directory)
    let clientURL = "http://\(host):2379"
    let peerURL = "http://\(host):2380"
    let log = directory.appendingPathComponent("etcd.log").path
    let process = try await ChildProcess.start(
      path,
      arguments: [
        "--name", "bench",
        "--data-dir", directory.appendingPathComponent("data").path,
        "--listen-client-urls", clientURL,
        "--advertise-client-urls", clientURL,
        "--listen-peer-urls", peerURL,
        "--initial-advertise-peer-urls", peerURL,
        "--initial-cluster", "bench=\(peerURL)",
        "--initial-cluster-state", "new",
        "--logger", "zap",
        "--log-outputs", "stderr",
      ],
      logFile: log)
    return BenchEtcd(
      path: path, endpoint: EtcdEndpoint(host: host, port: 2379), directory: directory, version: version,
      process: process)
  }

  /// Waits until `etcd` answers a linearizable read, or throws after `timeout` or when the
  /// process has ended.
  func waitUntilReady(_ etcd: EtcdClient, timeout: Duration) async throws {
    let deadline = ContinuousClock.now + timeout
    var lastError = "no answer yet"
    while ContinuousClock.now < deadline {
      guard process.isRunning else {
        throw BenchError("etcd at \(endpoint) exited while starting; its log:\n\(logTail())")
      }
      do {
        _ = try await etcd.withTimeout(.seconds(1)).get("bench/ready")
        return
      } catch {
        lastError = String(describing: error)
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw BenchError("etcd at \(endpoint) did not serve within \(timeout): \(lastError); its log:\n\(logTail())")
  }

  /// Stops etcd (SIGTERM, then SIGKILL after 10 s) and, when asked, removes its directory.
  func stop(removingFiles: Bool) async {
    await process.stop(grace: .seconds(10))
    if removingFiles { try? FileManager.default.removeItem(at: directory) }
  }

  /// The last lines of the server's log, for error messages.
  func logTail(lines: Int = 15) -> String {
    let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
  }

  /// Runs `etcd --version` and returns the version it names (`etcd Version: 3.5.1`).
  private static func version(of path: String, scratch: URL) async throws -> String {
    let output = scratch.appendingPathComponent("version.txt").path
    let process = try await ChildProcess.start(path, arguments: ["--version"], logFile: output)
    let termination = await process.wait()
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    guard termination == .exited(0),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("etcd Version:") })
    else {
      throw BenchError("\(path) --version \(termination): \(text)")
    }
    return line.dropFirst("etcd Version:".count).trimmingCharacters(in: .whitespaces)
  }
}
