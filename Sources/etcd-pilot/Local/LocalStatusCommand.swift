import ArgumentParser
import EtcdClient
import Foundation
import LocalCluster
import Pilot

/// `etcd-pilot local status`: pods, member IDs, client endpoints, roles.
struct LocalStatusCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Shows the pods, their members and roles.")

  @OptionGroup var options: LocalOptions

  enum Output: String, ExpressibleByArgument, CaseIterable { case table, json }
  @Option(name: [.customShort("w"), .long, .customLong("write-out")], help: "table or json.") var output: Output = .table

  struct PodReport: Codable {
    var name: String
    var ordinal: Int
    var state: String
    var pid: Int32?
    var restarts: Int
    var clientURL: String
    var peerURL: String
    var memberID: String?
    var role: String?
    var ready: Bool?
    var decision: String?
  }

  struct Report: Codable {
    var directory: String
    var replicas: Int
    /// Client endpoints of the desired pods, for other tools (`--endpoints`).
    var endpoints: [String]
    /// With TLS: the files for `--cacert`, `--cert` and `--key`.
    var cacert: String?
    var cert: String?
    var key: String?
    /// With auth: the user, and the file holding its password.
    var user: String?
    var passwordFile: String?
    var pods: [PodReport]
  }

  func run() async throws {
    do {
      let client = try LocalControlClient(layout: options.layout)
      let status = try await client.status()
      var pods: [PodReport] = []
      for pod in status.pods {
        let pilot = await PilotStatusFetch.status(at: pod.pilotURL)
        pods.append(
          PodReport(
            name: pod.name, ordinal: pod.ordinal, state: pod.state, pid: pod.pid, restarts: pod.restarts,
            clientURL: pod.clientURL, peerURL: pod.peerURL, memberID: pilot?.memberID, role: pilot?.role,
            ready: pilot?.ready, decision: pilot.map { "\($0.decision): \($0.reason)" }))
      }
      let config = try options.layout.readConfig()
      let tls = config.clientTLS
      let report = Report(
        directory: options.layout.directory, replicas: status.replicas,
        endpoints: status.pods.filter { $0.ordinal < status.replicas }.map(\.clientURL),
        cacert: tls?.caFile, cert: tls?.certificateFile, key: tls?.keyFile,
        user: config.rootPasswordFile == nil ? nil : "root", passwordFile: config.rootPasswordFile, pods: pods)
      switch output {
      case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
      case .table:
        print(
          TextTable.render(
            header: ["POD", "STATE", "PID", "RESTARTS", "CLIENT URL", "MEMBER ID", "ROLE", "READY"],
            rows: pods.map {
              [
                $0.name, $0.state, $0.pid.map(String.init) ?? "-", String($0.restarts), $0.clientURL, $0.memberID ?? "-",
                $0.role ?? "-", $0.ready.map { $0 ? "yes" : "no" } ?? "-",
              ]
            }))
        print("replicas: \(status.replicas); endpoints: \(report.endpoints.joined(separator: ","))")
        if let tls {
          var connect = "connect with: --cacert \(tls.caFile ?? "") --cert \(tls.certificateFile ?? "") --key \(tls.keyFile ?? "")"
          if let file = report.passwordFile { connect += " --user root --password \"$(cat \(file))\"" }
          print(connect)
        }
      }
    } catch {
      throw Failure.exit("local status", error)
    }
  }

}

/// `etcd-pilot local down`: stop every pod, keeping the data (or everything gone with --purge).
struct LocalDownCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "down", abstract: "Stops the local cluster; --purge also deletes its directory.")

  @OptionGroup var options: LocalOptions
  @Flag(help: "Delete the directory with every volume after stopping.") var purge = false

  func run() async throws {
    do {
      let layout = options.layout
      if let client = try? LocalControlClient(layout: layout) {
        try await client.send("POST", "/down")
        print("waiting for: every pod to stop")
        let deadline = ContinuousClock.now + (try options.waitLimit())
        while let config = try? layout.readConfig(), let pid = config.supervisorPID, kill(pid, 0) == 0 {
          guard ContinuousClock.now < deadline else { throw LocalClusterError("the supervisor (pid \(pid)) did not stop") }
          try await Task.sleep(for: .milliseconds(200))
        }
        print("stopped; volumes kept in \(layout.directory)/volumes")
      } else {
        _ = try layout.readConfig()
        print("the local cluster in \(layout.directory) is not running")
      }
      if purge {
        try FileManager.default.removeItem(atPath: layout.directory)
        print("deleted \(layout.directory)")
      }
    } catch {
      throw Failure.exit("local down", error)
    }
  }
}
