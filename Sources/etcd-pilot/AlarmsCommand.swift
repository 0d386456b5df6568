import ArgumentParser
import EtcdClient
import Foundation
import Logging
import Membership

/// `etcd-pilot alarms`: the cluster's alarms, and NOSPACE disarmed once it is safe to.
struct AlarmsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "alarms",
    abstract: "Lists the cluster's alarms; --disarm clears NOSPACE once every database is under the quota.",
    discussion: """
      One line per raised alarm (NOSPACE: a member's database reached the quota and etcd refuses \
      writes; CORRUPT: a member's data differs from the others'), or "no alarms". With --disarm, \
      NOSPACE is disarmed only when every member's database is at least 10% under the quota \
      (--quota): disarming earlier lets writes in until etcd raises it again. Compact the history \
      and run etcd-pilot defrag first. CORRUPT is never disarmed: that member must be replaced.
      """
  )

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "Disarm NOSPACE, once every member's database is under the quota by 10%.")
  var disarm = false

  @Option(
    help:
      "etcd's backend quota (--quota-backend-bytes) the databases are checked against: bytes or a quantity such as 2Gi (default: etcd's, 2 GiB)."
  )
  var quota: String?

  func run() async throws {
    let configuration: EtcdClientConfiguration
    let quotaBytes: Int64
    do {
      quotaBytes = try QuotaOption.parse(quota)
      configuration = try connection.clientConfiguration(environment: ProcessInfo.processInfo.environment)
    } catch {
      throw Failure.exit("alarms", error)
    }
    var quiet = Logger(label: "etcd-pilot.alarms")
    quiet.logLevel = .error
    let disarm = disarm
    do {
      try await withEtcdClient(configuration, logger: quiet) { client in
        // Sizes are read only to disarm: listing works with a member down.
        let reading = try await ClusterReading.read(using: client, configuration, quorumReads: false)
        if let error = reading.alarmsError { throw error }
        guard !reading.alarms.isEmpty else {
          print(disarm ? "no alarms: nothing to disarm" : "no alarms")
          return
        }
        guard disarm else {
          for alarm in reading.alarms { print("\(reading.label(of: alarm.memberID)): \(alarm.kind.rawValue)") }
          return
        }
        let members = reading.members.map { entry in
          AlarmDisarm.Member(
            id: entry.member.id, name: entry.member.name, dbSize: entry.status?.dbSize, problem: entry.problem)
        }
        let margin = EngineSettings().noSpaceMargin
        _ = try AlarmDisarm.check(
          alarms: reading.spaceAlarms, members: members, quotaBytes: quotaBytes, margin: margin)
        for alarm in reading.alarms where alarm.kind == .noSpace {
          try await reading.answering.withTimeout(configuration.callTimeout).disarm(alarm)
          print(
            "disarmed NOSPACE of \(reading.label(of: alarm.memberID)): every member's database is under the quota (\(DefragPass.mib(quotaBytes))) by \(Int(margin * 100))%"
          )
        }
      }
    } catch {
      throw Failure.exit("alarms", error)
    }
  }
}
