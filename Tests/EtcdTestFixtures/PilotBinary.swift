import Foundation

/// The `etcd-pilot` executable built beside the test bundle.
public enum PilotBinary {
  public static var path: String {
    get throws {
      let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      for candidate in [directory, directory.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("etcd-pilot").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
      }
      throw FixtureError("etcd-pilot is not built next to the tests (\(directory.path)): run swift build first")
    }
  }

  /// Runs `etcd-pilot` with `arguments`.
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60
  ) throws
    -> ProcessOutput
  {
    try ProcessOutput.run(try path, arguments, environment: environment, timeout: timeout)
  }
}
