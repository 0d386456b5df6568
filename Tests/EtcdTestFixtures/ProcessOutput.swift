import ChildProcess
import Foundation

/// Runs a short command (etcdctl, etcdutl, the etcd-pilot binary) and collects its output.
public struct ProcessOutput: Sendable {
  public var exitCode: Int32
  /// stdout and stderr together, in order.
  public var output: String

  /// Runs `executable` with `arguments`, killing it after `timeout`.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:],
    timeout: TimeInterval = 60
  ) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let collected = LockedBox(Data())
    let reader = Thread {
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      collected.set(data)
    }
    reader.start()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      throw FixtureError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout))s")
    }
    process.waitUntilExit()
    while !reader.isFinished { usleep(5_000) }
    return ProcessOutput(exitCode: process.terminationStatus, output: String(decoding: collected.get(), as: UTF8.self))
  }
}

extension ProcessOutput {
  /// Runs a command without blocking a thread: tests that run writers beside it need every
  /// thread of the cooperative pool.
  public static func runAsync(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(180)
  ) async throws -> ProcessOutput {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-test-out-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: log) }
    let child = try await ChildProcess.start(
      executable, arguments: arguments, environment: environment.mapValues { Optional($0) }, logFile: log)
    let termination = await withTaskGroup(of: ChildProcess.Termination?.self) { group in
      group.addTask { await child.wait() }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first
    }
    guard let termination else {
      await child.stop(grace: .seconds(2))
      throw FixtureError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    let output = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
    let code: Int32 =
      switch termination {
      case .exited(let code): code
      case .signaled(let signal): 128 + signal
      }
    return ProcessOutput(exitCode: code, output: output)
  }
}
