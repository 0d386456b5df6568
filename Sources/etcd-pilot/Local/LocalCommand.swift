import ArgumentParser
import EtcdClient
import Foundation
import LocalCluster

/// `etcd-pilot local`: the local StatefulSet, for a quick start and as the test bed.
struct LocalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "local",
    abstract: "Runs an etcd cluster as a local StatefulSet of processes (no Kubernetes, no root).",
    subcommands: [
      LocalUpCommand.self, LocalScaleCommand.self, LocalKillCommand.self, LocalWipeCommand.self,
      LocalPartitionCommand.self, LocalHealCommand.self, LocalStatusCommand.self, LocalExecCommand.self,
      LocalDownCommand.self,
      LocalSuperviseCommand.self,
    ]
  )
}

/// The options every `local` command shares.
struct LocalOptions: ParsableArguments {
  @Option(help: "The local cluster's directory: volumes, logs, state.")
  var dir = "./etcd-local"

  @Option(parsing: .unconditional, help: "How long a command waits for the cluster, e.g. 120s.")
  var timeout = "120s"

  var layout: LocalClusterLayout { LocalClusterLayout(directory: dir) }

  func waitLimit() throws -> Duration { try DurationText.parse(timeout, flag: "--timeout") }
}

/// Waits until the cluster matches `replicas` and prints the health table, as every waiting
/// `local` command ends.
enum LocalWait {
  static func untilConverged(_ layout: LocalClusterLayout, replicas: Int, timeout: Duration) async throws {
    let config = try layout.readConfig()
    if replicas == 0 {
      print("waiting for: every pod to stop (scaled to 0: a pause, data kept)")
      let client = try LocalControlClient(layout: layout)
      let deadline = ContinuousClock.now + timeout
      while try await client.status().pods.contains(where: { $0.state != "absent" }) {
        guard ContinuousClock.now < deadline else { throw LocalClusterError("pods still running after \(timeout)") }
        try await Task.sleep(for: .milliseconds(300))
      }
      print("all pods stopped; volumes kept in \(layout.directory)/volumes")
      return
    }
    let report = try await ClusterConvergence.wait(config: config, replicas: replicas, timeout: timeout) { line in
      print(line)
    }
    print(HealthReportText.table(report))
  }
}

extension LocalWait {
  /// After a kill or wipe: waits until the pod runs again as a new process, then for the
  /// cluster to converge.
  static func untilRestarted(
    _ layout: LocalClusterLayout, ordinal: Int, previousPID: Int32?, timeout: Duration
  ) async throws {
    let client = try LocalControlClient(layout: layout)
    let deadline = ContinuousClock.now + timeout
    print("waiting for: \(try layout.readConfig().podName(ordinal)) to restart")
    while true {
      let status = try await client.status()
      if let pod = status.pods.first(where: { $0.ordinal == ordinal }), pod.state == "running", pod.pid != previousPID {
        try await untilConverged(layout, replicas: status.replicas, timeout: deadline - ContinuousClock.now)
        return
      }
      guard ContinuousClock.now < deadline else { throw LocalClusterError("the pod did not restart within \(timeout)") }
      try await Task.sleep(for: .milliseconds(200))
    }
  }
}

/// This executable's path, to start pods and the detached supervisor with.
enum SelfExecutable {
  static var path: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }
}
