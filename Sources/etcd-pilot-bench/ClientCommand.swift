import ArgumentParser
import EtcdClient
import Foundation
import Logging

/// `etcd-pilot-bench client`: put and range throughput and latency of our ``EtcdClient`` beside a
/// Python gRPC client (aetcd), against one etcd server, in the same run.
struct ClientCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "client",
    abstract: "Put and range throughput and p50/p99 latency of EtcdClient beside a Python gRPC client.",
    discussion: """
      Starts one etcd on a loopback address with a temporary data directory, then for each round,
      workload (put, range) and concurrency runs both clients one after the other, each for the
      same warm-up and measured duration, and writes the raw numbers (JSON) and tables (Markdown).
      Rounds alternate which client goes first. Run from the package root after bench/setup.sh,
      or use bench/run.sh.
      """
  )

  @Option(help: "The etcd binary.")
  var etcd = ".tools/etcd-3.5.1/etcd"

  @Option(help: "The loopback address etcd listens on (ports 2379 and 2380).")
  var host = "127.0.90.1"

  @Option(help: "Measured seconds of each run.")
  var seconds: Double = 10

  @Option(help: "Warm-up seconds before each run, not counted.")
  var warmup: Double = 1

  @Option(help: "How many times to run every (workload, concurrency, client).")
  var rounds = 1

  @Option(name: .customLong("concurrency"), help: "Requests in flight per client (repeat the option for several).")
  var concurrencies: [Int] = [1, 64]

  @Option(name: .customLong("workload"), help: "put or range (repeat the option for several).")
  var workloads: [Workload] = [.put, .range]

  @Option(help: "Bytes of each put's value.")
  var valueSize = 256

  @Option(help: "The Python with the baseline client (bench/setup.sh makes it).")
  var python = ".tools/bench-venv/bin/python"

  @Option(help: "The Python baseline script.")
  var pythonScript = "bench/python/etcd_bench.py"

  @Option(help: "Where the raw numbers go (JSON); the tables go beside it with the extension .md.")
  var output = "bench/results/client.json"

  func validate() throws {
    guard seconds > 0, warmup >= 0, rounds > 0, valueSize > 0 else {
      throw ValidationError("--seconds, --rounds and --value-size must be positive, --warmup not negative")
    }
    guard !concurrencies.isEmpty, concurrencies.allSatisfy({ $0 > 0 }) else {
      throw ValidationError("--concurrency must be positive")
    }
  }

  func run() async throws {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "etcd-pilot-bench")
    logger.logLevel = .warning
    let date = ISO8601DateFormatter().string(from: Date())
    let machine = MachineInfo.current()
    let loadBefore = MachineInfo.loadAverage()

    try PythonClientRunner.check(python: python, script: pythonScript)
    let server = try await BenchEtcd.start(path: etcd, host: host)
    Self.progress("etcd \(server.version) started at \(server.endpoint) (files in \(server.directory.path))")
    let python = PythonClientRunner(
      python: python, script: pythonScript, endpoint: server.endpoint, serverPID: server.pid, valueSize: valueSize,
      scratch: server.directory)
    let measured: (comparisons: [Comparison], pythonClient: String)
    do {
      measured = try await measure(on: server, python: python, logger: logger)
    } catch {
      await server.stop(removingFiles: false)
      Self.progress("etcd stopped; its log and the Python logs are kept in \(server.directory.path)")
      throw error
    }
    await server.stop(removingFiles: true)

    let report = ClientReport(
      date: date, machine: machine, loadAverageBefore: loadBefore,
      loadAverageAfter: MachineInfo.loadAverage(), etcdVersion: server.version, etcdPath: etcd,
      swiftClient: Self.swiftClient, pythonClient: measured.pythonClient, secondsPerRun: seconds,
      warmupSecondsPerRun: warmup, rounds: rounds, valueSize: valueSize,
      method: "Closed loop: each of N tasks sends its next request when the last is answered, over one "
        + "connection per client. Both clients run one after the other against the same server; odd rounds "
        + "run Swift first, even rounds Python first. Latency is per request, from send to answer.",
      comparisons: measured.comparisons)
    let markdownPath = (output.hasSuffix(".json") ? String(output.dropLast(5)) : output) + ".md"
    try report.writeJSON(to: output)
    try report.writeMarkdown(to: markdownPath)
    print(report.markdown)
    Self.progress("wrote \(output) and \(markdownPath)")
  }

  /// Every round, workload and concurrency, both clients; returns the comparisons and the
  /// baseline's description.
  private func measure(
    on server: BenchEtcd, python: PythonClientRunner, logger: Logger
  ) async throws -> (comparisons: [Comparison], pythonClient: String) {
    let (rounds, workloads, concurrencies, valueSize) = (rounds, workloads, concurrencies, valueSize)
    let warmup = Duration.milliseconds(Int64(warmup * 1000))
    let duration = Duration.milliseconds(Int64(seconds * 1000))
    return try await withEtcdClient(EtcdClientConfiguration(endpoints: [server.endpoint]), logger: logger) { etcd in
      try await server.waitUntilReady(etcd, timeout: .seconds(30))
      let swift = SwiftClientRunner(etcd: etcd, valueSize: valueSize, serverPID: server.pid)
      try await etcd.put(Workload.rangeKey, swift.value)

      var swiftSamples: [String: [ClientSample]] = [:]
      var pythonSamples: [String: [ClientSample]] = [:]
      var pythonClient = "aetcd"
      for round in 1...rounds {
        for workload in workloads {
          for concurrency in concurrencies {
            let cell = "\(workload) c\(concurrency)"
            for client in round % 2 == 1 ? ["swift", "python"] : ["python", "swift"] {
              // Let the server settle (background commit of the last run's writes).
              try await Task.sleep(for: .milliseconds(500))
              let sample: ClientSample
              if client == "swift" {
                sample = await swift.run(
                  workload, concurrency: concurrency, round: round, warmup: warmup, duration: duration)
                swiftSamples[cell, default: []].append(sample)
              } else {
                (sample, pythonClient) = try await python.run(
                  workload, concurrency: concurrency, round: round, warmup: warmup, duration: duration)
                pythonSamples[cell, default: []].append(sample)
              }
              let one = Measurement(pooling: [sample])
              Self.progress(
                "round \(round) \(cell) \(client): \(String(format: "%.0f", one.throughput)) ops/s, "
                  + "p50 \(String(format: "%.3f", one.p50Microseconds / 1000)) ms, "
                  + "p99 \(String(format: "%.3f", one.p99Microseconds / 1000)) ms, "
                  + "CPU/request client \(String(format: "%.0f", one.clientCPUMicrosecondsPerRequest)) µs "
                  + "server \(String(format: "%.0f", one.serverCPUMicrosecondsPerRequest)) µs, "
                  + "cores client \(String(format: "%.2f", one.clientCores)) server \(String(format: "%.2f", one.serverCores)), "
                  + "\(one.errors) errors")
            }
          }
        }
      }
      var comparisons: [Comparison] = []
      for workload in workloads {
        for concurrency in concurrencies {
          let cell = "\(workload) c\(concurrency)"
          comparisons.append(
            Comparison(
              workload: workload, concurrency: concurrency, swift: swiftSamples[cell] ?? [],
              python: pythonSamples[cell] ?? []))
        }
      }
      return (comparisons, pythonClient)
    }
  }

  /// Our client as measured: the library and how this binary was built.
  static var swiftClient: String {
    return
      "EtcdClient (grpc-swift-2 2.4.3, grpc-swift-nio-transport 2.9.2 HTTP/2 Posix, swift-protobuf 1.39.0), \(build)"
  }

  /// How this binary was built: only release numbers mean anything.
  static var build: String {
    #if DEBUG
    "debug build (numbers not representative)"
    #else
    "release build"
    #endif
  }

  /// A progress line on stderr.
  static func progress(_ line: String) {
    FileHandle.standardError.write(Data("etcd-pilot-bench: \(line)\n".utf8))
  }
}
