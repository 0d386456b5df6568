import ArgumentParser
import Pilot

/// The `etcd-pilot` command line.
@main
struct EtcdPilot: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "etcd-pilot",
    abstract: "Runs and checks etcd clusters: the agent of each member, and the tools around it.",
    // The release, the git commit and the etcd servers supported: BuildInfo.
    version: BuildInfo.versionLine,
    subcommands: [
      HealthCommand.self, BackupCommand.self, MemberCommand.self, LocalCommand.self, VerifyCommand.self,
      CertsCommand.self, DefragCommand.self, AlarmsCommand.self,
    ]
  )
}
