import ArgumentParser

/// The `etcd-pilot` command line.
@main
struct EtcdPilot: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "etcd-pilot",
    abstract: "Runs and checks etcd clusters: the agent of each member, and the tools around it.",
    version: "0.1.0",
    subcommands: [HealthCommand.self, BackupCommand.self, MemberCommand.self, LocalCommand.self, VerifyCommand.self, CertsCommand.self]
  )
}
