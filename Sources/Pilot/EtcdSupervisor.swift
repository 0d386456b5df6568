import ChildProcess
import Foundation
import Logging
import Membership
import Synchronization

/// Runs this pod's etcd as a child: starts it with the flags a plan asks for, passes its output
/// on (and keeps the last lines to classify an exit), stops it gracefully, and reports how it
/// ended.
public actor EtcdSupervisor {
  private let configuration: PilotConfiguration
  private let volume: VolumeStore
  private let logger: Logger
  private var child: ChildProcess?
  private var startedAt: ContinuousClock.Instant?
  private var exit: EtcdExit?
  private let recentLines = RecentLines(capacity: 400)
  /// Set while we stop etcd on purpose, so its exit is not taken for a crash.
  private var stopping = false
  private var restarts = 0

  public init(configuration: PilotConfiguration, volume: VolumeStore, logger: Logger) {
    self.configuration = configuration
    self.volume = volume
    self.logger = logger
  }

  /// The etcd flags for `start`, on top of the ones passed through.
  func arguments(for start: EtcdStart) -> [String] {
    let me = configuration.identity
    let scheme = configuration.scheme
    let listen = URLHost.bracketed(configuration.listenHost)
    let clientListen = configuration.listenHosts.map {
      "\(scheme)://\(URLHost.bracketed($0)):\(configuration.clientPort)"
    }
    var arguments = [
      "--name", configuration.name,
      "--data-dir", volume.etcdDataDirectory,
      "--listen-client-urls", clientListen.joined(separator: ","),
      "--advertise-client-urls", me.clientURL,
      "--listen-peer-urls", "\(scheme)://\(listen):\(configuration.peerListenPort)",
      "--initial-advertise-peer-urls", me.peerURL,
      "--initial-cluster-state", start.state.rawValue,
      "--logger", "zap", "--log-outputs", "stderr",
    ]
    if !start.initialCluster.isEmpty { arguments += ["--initial-cluster", start.initialCluster] }
    if !start.token.isEmpty { arguments += ["--initial-cluster-token", start.token] }
    if start.forceNewCluster { arguments.append("--force-new-cluster") }
    if let tls = configuration.tls {
      arguments += [
        "--cert-file", tls.certificateFile, "--key-file", tls.keyFile, "--trusted-ca-file", tls.clientCAFile,
        "--client-cert-auth",
        "--peer-cert-file", tls.certificateFile, "--peer-key-file", tls.keyFile, "--peer-trusted-ca-file", tls.caFile,
        "--peer-client-cert-auth",
      ]
      // etcd's JSON gateway dials etcd's own gRPC port presenting the server's certificate as
      // a client certificate (etcd issue 16590), which a clients' CA apart from the members'
      // does not trust: it could only fail and log. gRPC clients, /health, /metrics and
      // /version are not behind it.
      if tls.clients != nil { arguments += ["--enable-grpc-gateway=false"] }
    }
    return arguments + configuration.space.etcdFlags(version: configuration.etcdVersion) + configuration.etcdArguments
  }

  public func start(_ start: EtcdStart) async throws {
    if let child, child.isRunning { return }
    exit = nil
    stopping = false
    recentLines.clear()
    let arguments = arguments(for: start)
    let lines = recentLines
    // etcd dies with its pilot, however the pilot dies: a restarted pod never meets an orphan
    // of itself holding its ports and its data.
    child = try await ChildProcess.start(
      configuration.etcdBinary, arguments: arguments,
      output: .lines { line in
        lines.append(line)
        FileHandle.standardError.write(Data((line + "\n").utf8))
      }, deathSignal: SIGKILL)
    startedAt = ContinuousClock.now
    logger.info(
      "started etcd (pid \(child?.pid ?? 0), \(start.state.rawValue)\(start.token.isEmpty ? "" : ", token \(start.token)")\(start.forceNewCluster ? ", --force-new-cluster" : ""))"
    )
  }

  /// The state for the engine: running (with how long), stopped, or how it exited.
  public func runState(serving: Bool, memberID: UInt64?) async -> EtcdRunState {
    if let exit { return .exited(exit) }
    guard let child else { return .stopped }
    if child.isRunning {
      let up = startedAt.map { ContinuousClock.now - $0 } ?? .zero
      return .running(serving: serving, memberID: memberID, secondsUp: up.seconds)
    }
    let termination = await child.wait()
    self.child = nil
    if stopping { return .stopped }
    let (code, signal): (Int32?, Int32?) =
      switch termination {
      case .exited(let code): (code, nil)
      case .signaled(let signal): (nil, signal)
      }
    let classified = EtcdExit.classify(lines: recentLines.lines, exitCode: code, signal: signal)
    restarts += 1
    logger.warning("etcd ended (\(termination)): \(classified)")
    exit = classified
    return .exited(classified)
  }

  /// Clears a handled exit so the next plan starts from "stopped".
  public func acknowledgeExit() { exit = nil }

  public var isRunning: Bool { child?.isRunning ?? false }
  public var pid: Int32? { child?.pid }
  public var restartCount: Int { restarts }

  /// Stops etcd with SIGTERM; kills it after `grace`. Returns whether it stopped cleanly: it
  /// exited on SIGTERM (etcd re-raises it) within the grace, closing — and so syncing — its WAL;
  /// `false` when it had to be killed. Not running counts as clean.
  @discardableResult
  public func stop(grace: Duration = .seconds(20)) async -> Bool {
    guard let child else { return true }
    stopping = true
    let termination = await child.stop(signal: SIGTERM, grace: grace)
    logger.info("stopped etcd (\(termination))")
    self.child = nil
    exit = nil
    return termination != .signaled(SIGKILL)
  }

  /// Sends `signal` to etcd (the pilot forwards SIGINT and SIGTERM as a stop).
  public func signal(_ signal: Int32) {
    child?.signal(signal)
  }

  /// Waits for etcd to exit on its own (after its removal), up to `timeout`.
  public func waitForExit(timeout: Duration) async -> Bool {
    guard let child else { return true }
    let deadline = ContinuousClock.now + timeout
    while child.isRunning, ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(200))
    }
    return !child.isRunning
  }
}

/// The last lines etcd printed, for classifying how it ended.
final class RecentLines: Sendable {
  private let storage: Mutex<[String]>
  private let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    storage = Mutex([])
  }

  func append(_ line: String) {
    storage.withLock { lines in
      lines.append(line)
      if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
    }
  }

  func clear() { storage.withLock { $0.removeAll() } }
  var lines: [String] { storage.withLock { $0 } }
}

extension Duration {
  /// This duration in seconds (the engine's settings and observations count in seconds).
  public var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
