import ArgumentParser

/// The `etcd-pilot-bench` command line: benchmarks of etcd-pilot against baselines run in the same
/// process on the same machine (see bench/README.md).
@main
struct EtcdPilotBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "etcd-pilot-bench",
    abstract: "Measures etcd-pilot against baselines run beside it on the same machine.",
    subcommands: [ClientCommand.self, LifecycleCommand.self, RollingRestartCommand.self, DefragGapCommand.self]
  )
}
