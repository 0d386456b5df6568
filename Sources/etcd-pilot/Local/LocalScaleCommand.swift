import ArgumentParser
import LocalCluster

/// `etcd-pilot local scale --replicas N`, like `kubectl scale`.
struct LocalScaleCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scale", abstract: "Changes the member count and waits until the cluster matches it.")

  @OptionGroup var options: LocalOptions
  @Option(parsing: .unconditional, help: "The new member count; 0 pauses the cluster (data kept).")
  var replicas: Int

  func run() async throws {
    do {
      guard replicas >= 0 else { throw LocalClusterError("--replicas \(replicas) is negative: give 0 or more") }
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      try await client.send("POST", "/scale", query: ["replicas": String(replicas)])
      print("scaling to \(replicas)")
      try await LocalWait.untilConverged(options.layout, replicas: replicas, timeout: try options.waitLimit())
    } catch {
      throw Failure.exit("local scale", error)
    }
  }
}
