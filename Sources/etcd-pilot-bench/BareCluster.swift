import ChildProcess
import EtcdClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The baseline of the lifecycle benchmark: etcd without etcd-pilot, as an operator runs it by
/// hand — a static `--initial-cluster`, members added and removed with `etcdctl`, a killed member
/// restarted on its data directory.
actor BareCluster {
  let etcd: String
  let etcdctl: String
  let addressBase: String
  let directory: URL
  let token = "bench-\(UInt32.random(in: 0...UInt32.max))"
  private var processes: [Int: ChildProcess] = [:]
  /// Each member's `--initial-cluster` and state when it was first started, to restart it the same way.
  private var startArguments: [Int: [String]] = [:]

  init(etcd: String, etcdctl: String, addressBase: String, directory: URL) {
    self.etcd = etcd
    self.etcdctl = etcdctl
    self.addressBase = addressBase
    self.directory = directory
  }

  nonisolated func name(_ ordinal: Int) -> String { "m\(ordinal)" }
  nonisolated func address(_ ordinal: Int) -> String { "\(addressBase).\(ordinal + 1)" }
  nonisolated func peerURL(_ ordinal: Int) -> String { "http://\(address(ordinal)):2380" }
  nonisolated func endpoint(_ ordinal: Int) -> EtcdEndpoint { EtcdEndpoint(host: address(ordinal), port: 2379) }
  nonisolated func endpoints(_ count: Int) -> [EtcdEndpoint] { (0..<count).map(endpoint) }

  /// The etcd processes' IDs, by ordinal.
  var pids: [Int: Int32] { processes.mapValues(\.pid) }

  /// Starts members `0..<count` together with a static configuration.
  func bootstrap(_ count: Int) async throws {
    let cluster = (0..<count).map { "\(name($0))=\(peerURL($0))" }.joined(separator: ",")
    for ordinal in 0..<count { try await start(ordinal, initialCluster: cluster, state: "new") }
  }

  /// `etcdctl member add`, then the new member started with `--initial-cluster-state existing`.
  func add(_ ordinal: Int, to current: Int) async throws {
    let endpoints = endpoints(current).map(\.description).joined(separator: ",")
    let output = try await etcdctlRetrying([
      "--endpoints", endpoints, "member", "add", name(ordinal), "--peer-urls", peerURL(ordinal),
    ])
    // etcdctl prints the new member's ETCD_INITIAL_CLUSTER="..." line.
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("ETCD_INITIAL_CLUSTER=") }) else {
      throw BenchError("etcdctl member add printed no ETCD_INITIAL_CLUSTER line: \(output)")
    }
    let cluster = line.dropFirst("ETCD_INITIAL_CLUSTER=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    try await start(ordinal, initialCluster: cluster, state: "existing")
  }

  /// `etcdctl member remove` of `ordinal`, then its etcd stopped.
  func remove(_ ordinal: Int, from current: Int) async throws {
    let endpoints = endpoints(current).filter { $0 != endpoint(ordinal) }.map(\.description).joined(separator: ",")
    let list = try await etcdctlRetrying(["--endpoints", endpoints, "member", "list"])
    // Lines: ID, status, name, peer URLs, client URLs, is learner.
    guard let line = list.split(separator: "\n").first(where: { $0.contains(", \(name(ordinal)), ") }),
      let id = line.split(separator: ",").first
    else { throw BenchError("\(name(ordinal)) is not in the member list: \(list)") }
    _ = try await etcdctlRetrying(["--endpoints", endpoints, "member", "remove", String(id)])
    _ = await processes[ordinal]?.stop(grace: .seconds(10))
    processes[ordinal] = nil
  }

  /// SIGKILL, wait for the process to end, then after `restartDelay` (what a kubelet waits before
  /// its first restart) start it again on its data.
  func killAndRestart(_ ordinal: Int, restartDelay: Duration) async throws {
    guard let process = processes[ordinal], let arguments = startArguments[ordinal] else {
      throw BenchError("\(name(ordinal)) is not running")
    }
    process.signal(SIGKILL)
    _ = await process.wait()
    try await Task.sleep(for: restartDelay)
    processes[ordinal] = try await ChildProcess.start(etcd, arguments: arguments, logFile: log(ordinal))
  }

  /// Stops every member (SIGTERM, then SIGKILL after 10 s).
  func stop() async {
    for process in processes.values { _ = await process.stop(grace: .seconds(10)) }
    processes = [:]
  }

  private func start(_ ordinal: Int, initialCluster: String, state: String) async throws {
    let client = endpoint(ordinal).description
    let arguments = [
      "--name", name(ordinal),
      "--data-dir", directory.appendingPathComponent("\(name(ordinal)).etcd").path,
      "--listen-client-urls", client, "--advertise-client-urls", client,
      "--listen-peer-urls", peerURL(ordinal), "--initial-advertise-peer-urls", peerURL(ordinal),
      "--initial-cluster", initialCluster, "--initial-cluster-state", state, "--initial-cluster-token", token,
      "--logger", "zap", "--log-outputs", "stderr",
    ]
    startArguments[ordinal] = arguments
    processes[ordinal] = try await ChildProcess.start(etcd, arguments: arguments, logFile: log(ordinal))
  }

  private func log(_ ordinal: Int) -> String { directory.appendingPathComponent("\(name(ordinal)).log").path }

  /// Runs etcdctl until it succeeds (an add right after another is refused until the cluster
  /// has caught up); returns its output.
  private func etcdctlRetrying(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> String {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var last = ""
    while clock.now < deadline {
      let (status, output) = try await CommandRun.run(
        etcdctl, arguments, environment: ["ETCDCTL_API": "3"], scratch: directory)
      if status == .exited(0) { return output }
      last = output
      try await Task.sleep(for: .milliseconds(100))
    }
    throw BenchError("etcdctl \(arguments.joined(separator: " ")) kept failing: \(last)")
  }
}

/// Runs a command to its end and returns its status and output (stdout and stderr).
enum CommandRun {
  static func run(
    _ executable: String, _ arguments: [String], environment: [String: String?] = [:], scratch: URL
  ) async throws -> (ChildProcess.Termination, String) {
    let output = scratch.appendingPathComponent("command-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let process = try await ChildProcess.start(
      executable, arguments: arguments, environment: environment, logFile: output)
    let status = await process.wait()
    return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
  }
}
