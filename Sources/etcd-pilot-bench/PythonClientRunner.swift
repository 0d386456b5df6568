import ChildProcess
import EtcdClient
import Foundation

/// Runs a workload with the Python baseline (bench/python/etcd_bench.py, aetcd on grpcio) as a
/// subprocess and reads the JSON it writes.
struct PythonClientRunner: Sendable {
  /// The venv's Python (bench/setup.sh makes it).
  let python: String
  /// bench/python/etcd_bench.py.
  let script: String
  let endpoint: EtcdEndpoint
  /// The server's process, whose CPU time the script measures beside its own.
  let serverPID: Int32
  let valueSize: Int
  /// Where the script's output and log go.
  let scratch: URL

  /// What the script writes.
  private struct Output: Decodable {
    var client: String
    var workload: String
    var concurrency: Int
    var elapsed_seconds: Double
    var errors: Int
    var first_error: String?
    var latencies_ns: [UInt64]
    var client_cpu_seconds: Double
    var server_cpu_seconds: Double
  }

  /// Checks that the interpreter `python` and the `script` exist, before any server is started.
  static func check(python: String, script: String) throws {
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw BenchError("no Python at \(python): run bench/setup.sh or pass --python PATH")
    }
    guard FileManager.default.isReadableFile(atPath: script) else {
      throw BenchError("no baseline script at \(script): pass --python-script PATH")
    }
  }

  /// Sends requests for `warmup` (not recorded), then for `duration` (recorded); returns the
  /// sample and the client's description (library and versions).
  func run(
    _ workload: Workload, concurrency: Int, round: Int, warmup: Duration, duration: Duration
  ) async throws -> (sample: ClientSample, client: String) {
    let name = "python-\(workload)-c\(concurrency)-r\(round)"
    let output = scratch.appendingPathComponent("\(name).json")
    let log = scratch.appendingPathComponent("\(name).log").path
    try? FileManager.default.removeItem(at: output)
    let process = try await ChildProcess.start(
      python,
      arguments: [
        script,
        "--host", endpoint.host, "--port", String(endpoint.port),
        "--workload", workload.rawValue,
        "--concurrency", String(concurrency),
        "--seconds", String(duration.seconds),
        "--warmup", String(warmup.seconds),
        "--value-size", String(valueSize),
        "--key", Workload.rangeKey,
        "--key-prefix", Workload.putPrefix(client: "python", round: round, concurrency: concurrency),
        "--server-pid", String(serverPID),
        "--output", output.path,
      ],
      logFile: log)
    let limit = warmup + duration + .seconds(60)
    let termination = await withTaskGroup(of: ChildProcess.Termination?.self) { group in
      group.addTask { await process.wait() }
      group.addTask {
        try? await Task.sleep(for: limit)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first
    }
    guard let termination else {
      await process.stop(grace: .seconds(2))
      throw BenchError("the Python baseline did not finish within \(limit); its log: \(log)")
    }
    guard termination == .exited(0) else {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      throw BenchError(
        "the Python baseline \(termination):\n\(text.split(separator: "\n").suffix(15).joined(separator: "\n"))")
    }
    let result = try JSONDecoder().decode(Output.self, from: Data(contentsOf: output))
    try? FileManager.default.removeItem(at: output)
    let sample = ClientSample(
      latenciesNanoseconds: result.latencies_ns, elapsedSeconds: result.elapsed_seconds, errors: result.errors,
      firstError: result.first_error, clientCPUSeconds: result.client_cpu_seconds,
      serverCPUSeconds: result.server_cpu_seconds)
    return (sample, result.client)
  }
}
