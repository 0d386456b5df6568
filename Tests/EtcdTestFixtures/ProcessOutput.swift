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
