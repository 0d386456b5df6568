import ChildProcess
import EtcdClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One real etcd member on its own loopback address, with its data directory and log file
/// under the owning cluster's directory.
public actor EtcdServer {
  public nonisolated let name: String
  public nonisolated let address: String
  public nonisolated let version: EtcdVersion
  public nonisolated let dataDirectory: String
  public nonisolated let logFile: String
  public nonisolated let tls: TestPKI?
  public nonisolated let clientPort: Int
  public nonisolated let peerPort: Int
  private var process: ChildProcess?

  init(
    name: String, address: String, version: EtcdVersion, directory: String, tls: TestPKI?,
    clientPort: Int = 2379, peerPort: Int = 2380
  ) {
    self.name = name
    self.address = address
    self.version = version
    self.dataDirectory = "\(directory)/\(name).etcd"
    self.logFile = "\(directory)/\(name).log"
    self.tls = tls
    self.clientPort = clientPort
    self.peerPort = peerPort
  }

  private nonisolated var scheme: String { tls == nil ? "http" : "https" }
  public nonisolated var clientURL: String { "\(scheme)://\(address):\(clientPort)" }
  public nonisolated var peerURL: String { "\(scheme)://\(address):\(peerPort)" }
  public nonisolated var endpoint: EtcdEndpoint {
    EtcdEndpoint(scheme: tls == nil ? .http : .https, host: address, port: clientPort)
  }

  /// The process ID while running.
  public var pid: Int32? { process?.pid }
  public var isRunning: Bool { process?.isRunning ?? false }

  /// Starts etcd with `initialCluster` ("name=peerURL,...") in state `new` or `existing`.
  public func start(initialCluster: String, state: String, token: String, extraArguments: [String] = []) async throws {
    guard process == nil || !(process!.isRunning) else {
      throw FixtureError("\(name) is already running")
    }
    var arguments = [
      "--name", name,
      "--data-dir", dataDirectory,
      "--listen-client-urls", clientURL,
      "--advertise-client-urls", clientURL,
      "--listen-peer-urls", peerURL,
      "--initial-advertise-peer-urls", peerURL,
      "--initial-cluster", initialCluster,
      "--initial-cluster-state", state,
      "--initial-cluster-token", token,
      "--heartbeat-interval", "50",
      "--election-timeout", "500",
      "--logger", "zap",
      "--log-outputs", "stderr",
    ]
    if let tls {
      let server = tls.serverFiles(for: name)
      arguments += [
        "--cert-file", server.certificate, "--key-file", server.key,
        "--trusted-ca-file", tls.caFile, "--client-cert-auth",
        "--peer-cert-file", server.certificate, "--peer-key-file", server.key,
        "--peer-trusted-ca-file", tls.caFile, "--peer-client-cert-auth",
      ]
    }
    process = try await ChildProcess.start(
      version.etcd, arguments: arguments + extraArguments,
      environment: ["ETCD_UNSUPPORTED_ARCH": nil], logFile: logFile)
  }

  /// Sends `signal` (default SIGKILL) and waits for the process to end.
  @discardableResult
  public func kill(signal: Int32 = SIGKILL) async -> ChildProcess.Termination? {
    guard let process else { return nil }
    process.signal(signal)
    let termination = await process.wait()
    self.process = nil
    return termination
  }

  /// Stops etcd as an operator would: SIGTERM, then SIGKILL after `grace`.
  public func stop(grace: Duration = .seconds(10)) async {
    guard let process else { return }
    await process.stop(signal: SIGTERM, grace: grace)
    self.process = nil
  }

  /// The tail of the log, for failure messages.
  public nonisolated func logTail(lines: Int = 20) -> String {
    guard let data = FileManager.default.contents(atPath: logFile) else { return "(no log)" }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
  }
}
