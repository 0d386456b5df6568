import ArgumentParser
import EtcdClient
import Foundation
import Logging

/// `etcd-pilot health`: etcd's classic cluster-health report.
struct HealthCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "health",
    abstract: "Checks every member of a cluster; exits 0 only when all are healthy.",
    discussion: """
      Reads the member list from any endpoint, then asks each member at its own client URL for \
      its status and a read. A learner is checked with a serializable read.
      """
  )

  enum Output: String, ExpressibleByArgument, CaseIterable {
    case lines, table, json
  }

  @OptionGroup var connection: ConnectionOptions

  @Option(
    name: [.customShort("w"), .long, .customLong("write-out")], help: "lines (etcd's cluster-health), table or json.")
  var output: Output = .lines

  func run() async throws {
    let configuration: EtcdClientConfiguration
    do {
      configuration = try connection.clientConfiguration(environment: ProcessInfo.processInfo.environment)
    } catch {
      throw Failure.exit("health", error)
    }
    let report: ClusterHealthReport
    do {
      report = try await withEtcdClient(configuration, logger: Logger(label: "etcd-pilot")) { client in
        try await client.clusterHealth(timeout: configuration.callTimeout)
      }
    } catch {
      throw Failure.exit("health", error)
    }
    print(HealthReportText.render(report, as: output))
    if report.state != .healthy { throw ExitCode(1) }
  }
}

/// The three ways a health report is printed.
enum HealthReportText {
  static func render(_ report: ClusterHealthReport, as output: HealthCommand.Output) -> String {
    switch output {
    case .lines: lines(report)
    case .table: table(report)
    case .json: json(report)
    }
  }

  static func lines(_ report: ClusterHealthReport) -> String {
    var lines = report.members.map { member in
      switch member.state {
      case .healthy:
        "member \(member.id) is healthy: got healthy result from \(member.endpoint)"
      case .unhealthy:
        "member \(member.id) is unhealthy: got unhealthy result from \(member.endpoint): \(member.reason)"
      case .unreachable:
        "member \(member.id) is unreachable: \(member.endpoint): \(member.reason)"
      }
    }
    lines.append("cluster is \(report.state.rawValue)")
    return lines.joined(separator: "\n")
  }

  static func table(_ report: ClusterHealthReport) -> String {
    let header = [
      "ID", "NAME", "ENDPOINT", "HEALTH", "LEADER", "LEARNER", "VERSION", "DB SIZE", "RAFT TERM", "RAFT INDEX",
      "ERRORS",
    ]
    let rows = report.members.map { member in
      [
        member.id, member.name, member.endpoint, member.state.rawValue, member.isLeader ? "true" : "false",
        member.isLearner ? "true" : "false", member.version.isEmpty ? "-" : member.version,
        member.state == .unreachable ? "-" : ByteCount.text(member.dbSize),
        member.state == .unreachable ? "-" : "\(member.raftTerm)",
        member.state == .unreachable ? "-" : "\(member.raftIndex)",
        member.reason.isEmpty ? "" : member.reason,
      ]
    }
    return TextTable.render(header: header, rows: rows) + "\ncluster is \(report.state.rawValue)"
  }

  static func json(_ report: ClusterHealthReport) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(report) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}

/// A plain text table with a separator line, as etcdctl's `-w table` prints.
enum TextTable {
  static func render(header: [String], rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    func line(_ cells: [String]) -> String {
      "| "
        + cells.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
        .joined(separator: " | ") + " |"
    }
    let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
    return ([rule, line(header), rule] + rows.map(line) + [rule]).joined(separator: "\n")
  }
}

/// Sizes as etcdctl prints them: 20 kB, 1.2 MB.
enum ByteCount {
  static func text(_ bytes: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
      value /= 1000
      unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
  }
}
