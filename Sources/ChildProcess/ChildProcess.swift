import Subprocess
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A child process started by etcd-pilot: etcd under the agent, a pod of the local StatefulSet,
/// or etcd in a test fixture.
///
/// The child's output goes to a log file (appended), never to a pipe that could fill up. The
/// process can be signalled and awaited. Its owner is this object: when the last reference goes
/// while the child still runs, the child (and its group) is killed, so a child never outlives
/// its owner by accident.
///
/// The exit status is collected by one task per child, owned here and awaited by ``wait()``.
public final class ChildProcess: Sendable {
  /// How a child ended.
  public enum Termination: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
      switch self {
      case .exited(let code): "exited with status \(code)"
      case .signaled(let signal): "killed by signal \(signal) (\(ChildProcess.signalName(signal)))"
      }
    }
  }

  /// The process ID.
  public let pid: Int32
  /// Whether the child leads its own process group (then `signalGroup` reaches its children too).
  public let ownsProcessGroup: Bool
  private let exit: Task<Termination, any Error>
  private let ended = Mutex<Termination?>(nil)
  private let owned = Mutex(true)

  private init(pid: Int32, ownsProcessGroup: Bool, exit: Task<Termination, any Error>) {
    self.pid = pid
    self.ownsProcessGroup = ownsProcessGroup
    self.exit = exit
  }

  deinit {
    if owned.withLock({ $0 }), ended.withLock({ $0 == nil }) {
      _ = ownsProcessGroup ? kill(-pid, SIGKILL) : kill(pid, SIGKILL)
    }
  }

  /// Where a child's stdout and stderr go.
  public enum Output: Sendable {
    /// Thrown away.
    case discard
    /// Appended to a file.
    case file(String)
    /// Handed over line by line (stdout and stderr interleaved), for a supervisor that watches
    /// what its child says.
    case lines(@Sendable (String) -> Void)
  }

  /// Starts `executable` with `arguments`.
  ///
  /// - Parameters:
  ///   - environment: variables to set (or, with a `nil` value, unset) on top of this process's.
  ///   - inheritEnvironment: start from this process's environment (true) or from nothing but
  ///     `environment` (false: a container's clean environment).
  ///   - output: where stdout and stderr go.
  ///   - newProcessGroup: put the child in a process group of its own, as a container's init.
  ///   - newSession: start a new session (a daemon: no controlling terminal, no SIGHUP from it).
  ///   - deathSignal: a signal the child gets when this process dies, however it dies (SIGKILL
  ///     included): the child is started through util-linux `setpriv --pdeathsig`, from a
  ///     thread that lives as long as this process (see ``deathSignalAvailable``).
  ///   - standardInput: an open file descriptor the child gets as its stdin (a copy of it; the
  ///     caller keeps its own), e.g. to hand over a lock held on it; `/dev/null` when nil.
  public static func start(
    _ executable: String, arguments: [String], environment: [String: String?] = [:], inheritEnvironment: Bool = true,
    workingDirectory: String? = nil, output: Output, newProcessGroup: Bool = false, newSession: Bool = false,
    deathSignal: Int32? = nil, standardInput: Int32? = nil
  ) async throws -> ChildProcess {
    // Opened (or copied) now, so the caller may close its descriptor as soon as this returns.
    let input =
      try standardInput.map { try FileDescriptor(rawValue: $0).duplicate() }
      ?? FileDescriptor.open("/dev/null", .readOnly)
    var executable = executable
    var arguments = arguments
    if let deathSignal, let setpriv = setprivPath {
      // setpriv takes the name without SIG.
      let name = signalName(deathSignal)
      arguments =
        ["--pdeathsig", name.hasPrefix("SIG") ? String(name.dropFirst(3)) : String(deathSignal), "--", executable]
        + arguments
      executable = setpriv
    }
    var options = PlatformOptions()
    if newSession {
      options.createSession = true
    } else if newProcessGroup {
      options.processGroupID = 0
    }
    // On cancellation of the owner: no grace, the owner is already gone.
    options.teardownSequence = []
    var env = Environment.inherit
    if !inheritEnvironment {
      env = .custom(
        Dictionary(
          uniqueKeysWithValues: environment.compactMap { key, value in
            value.map { (Environment.Key(stringLiteral: key), $0) }
          }))
    } else if !environment.isEmpty {
      env = env.updating(
        Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
    }
    let configuration = Configuration(
      executable: .path(FilePath(executable)), arguments: Arguments(arguments), environment: env,
      workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options)

    let (pids, pidContinuation) = AsyncStream.makeStream(of: Int32.self)
    let spawnExecutor: (any TaskExecutor)? = deathSignal != nil && setprivPath != nil ? SpawnThread.shared : nil
    let exit = Task<Termination, any Error>(executorPreference: spawnExecutor) {
      defer { pidContinuation.finish() }
      let status: TerminationStatus
      switch output {
      case .lines(let handler):
        status = try await Subprocess.run(
          configuration, input: .fileDescriptor(input, closeAfterSpawningProcess: true), output: .sequence,
          error: .combinedWithOutput
        ) { execution in
          pidContinuation.yield(execution.processIdentifier.value)
          pidContinuation.finish()
          for try await line in execution.standardOutput.strings() { handler(line) }
        }.terminationStatus
      case .file, .discard:
        let path: String = if case .file(let path) = output { path } else { "/dev/null" }
        let descriptor = try FileDescriptor.open(
          FilePath(path), .writeOnly, options: [.append, .create], permissions: [.ownerReadWrite, .groupRead])
        defer { try? descriptor.close() }
        status = try await Subprocess.run(
          configuration, input: .fileDescriptor(input, closeAfterSpawningProcess: true),
          output: .fileDescriptor(descriptor, closeAfterSpawningProcess: false),
          error: .fileDescriptor(descriptor, closeAfterSpawningProcess: false)
        ) { execution in
          pidContinuation.yield(execution.processIdentifier.value)
          pidContinuation.finish()
        }.terminationStatus
      }
      switch status {
      case .exited(let code): return .exited(code)
      case .signaled(let signal): return .signaled(signal)
      }
    }
    var iterator = pids.makeAsyncIterator()
    guard let pid = await iterator.next() else {
      do {
        _ = try await exit.value
      } catch {
        throw ChildProcessError(executable: executable, reason: String(describing: error))
      }
      throw ChildProcessError(executable: executable, reason: "it did not start")
    }
    return ChildProcess(pid: pid, ownsProcessGroup: newProcessGroup || newSession, exit: exit)
  }

  /// Starts `executable` with its output appended to `logFile` (or discarded when `nil`).
  public static func start(
    _ executable: String, arguments: [String], environment: [String: String?] = [:], inheritEnvironment: Bool = true,
    workingDirectory: String? = nil, logFile: String?, newProcessGroup: Bool = false, newSession: Bool = false,
    deathSignal: Int32? = nil, standardInput: Int32? = nil
  ) async throws -> ChildProcess {
    try await start(
      executable, arguments: arguments, environment: environment, inheritEnvironment: inheritEnvironment,
      workingDirectory: workingDirectory,
      output: logFile.map { .file($0) } ?? .discard, newProcessGroup: newProcessGroup, newSession: newSession,
      deathSignal: deathSignal, standardInput: standardInput)
  }

  /// util-linux `setpriv`, which sets the death signal and then runs the child in its place.
  private static let setprivPath: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { access($0, X_OK) == 0 }

  /// Whether ``start(_:arguments:environment:inheritEnvironment:workingDirectory:output:newProcessGroup:newSession:deathSignal:standardInput:)``
  /// can give a child a death signal here (Linux with util-linux `setpriv`); without it the
  /// child starts without one.
  public static var deathSignalAvailable: Bool { setprivPath != nil }

  /// Lets the child outlive this object (a daemon started on purpose, such as the local
  /// StatefulSet's supervisor with `--detach`).
  public func disown() { owned.withLock { $0 = false } }

  /// Sends `signal` to the child (if it is still running).
  public func signal(_ signal: Int32) {
    guard ended.withLock({ $0 == nil }) else { return }
    _ = kill(pid, signal)
  }

  /// Sends `signal` to the child's whole process group (the child when it has none of its own).
  public func signalGroup(_ signal: Int32) {
    guard ended.withLock({ $0 == nil }) else { return }
    _ = ownsProcessGroup ? kill(-pid, signal) : kill(pid, signal)
  }

  /// Waits for the child to end.
  @discardableResult
  public func wait() async -> Termination {
    let termination: Termination
    do {
      termination = try await withTaskCancellationHandler {
        try await exit.value
      } onCancel: {
        // Waiting was cancelled, not the child: the child keeps running.
      }
    } catch {
      termination = .exited(-1)
    }
    ended.withLock { $0 = termination }
    return termination
  }

  /// The termination, if the child has ended and was awaited.
  public var termination: Termination? { ended.withLock { $0 } }

  /// Whether the process still exists (not yet reaped).
  public var isRunning: Bool {
    if ended.withLock({ $0 != nil }) { return false }
    return kill(pid, 0) == 0
  }

  /// Asks the child to stop with `signal`, waits up to `grace`, then kills it (and its group).
  @discardableResult
  public func stop(signal: Int32 = SIGTERM, grace: Duration) async -> Termination {
    self.signal(signal)
    // The kill is sent from the timer itself: a group's waiting child cannot be cancelled (it
    // waits for the exit), so a child that ignores `signal` would otherwise be waited for forever.
    return await withTaskGroup(of: Termination?.self) { group -> Termination in
      group.addTask { await self.wait() }
      group.addTask {
        try? await Task.sleep(for: grace)
        if !Task.isCancelled { self.signalGroup(SIGKILL) }
        return nil
      }
      while let next = await group.next() {
        if let termination = next {
          group.cancelAll()
          return termination
        }
      }
      return await self.wait()
    }
  }

  /// The conventional name of a signal number, for messages.
  public static func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGTERM: "SIGTERM"
    case SIGKILL: "SIGKILL"
    case SIGINT: "SIGINT"
    case SIGHUP: "SIGHUP"
    case SIGQUIT: "SIGQUIT"
    case SIGABRT: "SIGABRT"
    case SIGSEGV: "SIGSEGV"
    case SIGSTOP: "SIGSTOP"
    case SIGCONT: "SIGCONT"
    case SIGUSR1: "SIGUSR1"
    case SIGUSR2: "SIGUSR2"
    default: "signal \(signal)"
    }
  }
}

/// A child process could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
  public var executable: String
  public var reason: String
  public var description: String { "cannot start \(executable): \(reason)" }
}
