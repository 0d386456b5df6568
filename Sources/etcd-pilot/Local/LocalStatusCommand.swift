import ArgumentParser
import EtcdClient
import Foundation
import LocalCluster
import Pilot

/// `etcd-pilot local status`: pods, member IDs, client endpoints, roles.
struct LocalStatusCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Shows the pods, their members and roles.")

  @OptionGroup var options: LocalOptions

  enum Output: String, ExpressibleByArgument, CaseIterable { case table, json }
  @Option(name: [.customShort("w"), .long, .customLong("write-out")], help: "table or json.") var output: Output =
    .table

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
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      let status = try await client.status()
      let config = try options.layout.readConfig()
      var pods: [PodReport] = []
      for pod in status.pods {
        let pilot = await PilotStatusFetch.status(at: pod.pilotURL, tls: config.clientTLS)
        pods.append(
          PodReport(
            name: pod.name, ordinal: pod.ordinal, state: pod.state, pid: pod.pid, restarts: pod.restarts,
            clientURL: pod.clientURL, peerURL: pod.peerURL, memberID: pilot?.memberID, role: pilot?.role,
            ready: pilot?.ready, decision: pilot.map { "\($0.decision): \($0.reason)" }))
      }
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
                $0.name, $0.state, $0.pid.map(String.init) ?? "-", String($0.restarts), $0.clientURL,
                $0.memberID ?? "-",
                $0.role ?? "-", $0.ready.map { $0 ? "yes" : "no" } ?? "-",
              ]
            }))
        print("replicas: \(status.replicas); endpoints: \(report.endpoints.joined(separator: ","))")
        if let tls {
          var connect =
            "connect with: --cacert \(tls.caFile ?? "") --cert \(tls.certificateFile ?? "") --key \(tls.keyFile ?? "")"
          if let file = report.passwordFile { connect += " --user root --password \"$(cat \(file))\"" }
          print(connect)
        }
      }
    } catch {
      throw Failure.exit("local status", error)
    }
  }

}

/// `etcd-pilot local down`: stop every pod, keeping the data (or, with --purge, the cluster's
/// files gone).
struct LocalDownCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "down", abstract: "Stops the local cluster; --purge also deletes the files it made in its directory.")

  @OptionGroup var options: LocalOptions
  @Flag(help: "Delete the cluster's files (volumes, logs, state) after stopping; files it did not make stay.")
  var purge = false

  func run() async throws {
    do {
      let layout = options.layout
      if purge { try LocalClusterFolder.checkPurgeable(layout) }
      if let client = try? LocalControlClient(layout: layout) {
        try await client.send("POST", "/down")
        print("waiting for: every pod to stop")
        let deadline = ContinuousClock.now + (try options.waitLimit())
        while SupervisorLock.isHeld(layout) {
          guard ContinuousClock.now < deadline else {
            throw LocalClusterError(
              "the supervisor (pid \((try? layout.readConfig())?.supervisorPID ?? 0)) did not stop")
          }
          try await Task.sleep(for: .milliseconds(200))
        }
        print("stopped; volumes kept in \(layout.directory)/volumes")
      } else {
        if !LocalClusterFolder.isMarked(layout) { _ = try layout.readConfig() }
        let orphans = ClusterProcesses.orphans(layout)
        if orphans.isEmpty {
          print("the local cluster in \(layout.directory) is not running")
        } else {
          // A supervisor killed outright: its pods are still this cluster's to stop.
          print(
            "the supervisor of \(layout.directory) is gone, but \(orphans.count) processes of its pods still run (pids \(ClusterProcesses.describe(orphans))): stopping them"
          )
          let left = await ClusterProcesses.stop(orphans, grace: .seconds(30))
          guard left.isEmpty else {
            throw LocalClusterError(
              "pod processes \(ClusterProcesses.describe(left)) did not stop, even on SIGKILL: nothing deleted")
          }
          print("stopped \(orphans.count) orphaned pod processes; volumes kept in \(layout.directory)/volumes")
        }
      }
      if purge {
        // Never under running pods: a supervisor that came back, or processes still running.
        let running = ClusterProcesses.orphans(layout)
        guard !SupervisorLock.isHeld(layout), running.isEmpty else {
          throw LocalClusterError(
            "processes of the cluster still run (\(running.isEmpty ? "a supervisor" : "pids " + ClusterProcesses.describe(running))): nothing deleted; run `local down` again"
          )
        }
        let result = try LocalClusterFolder.purge(layout)
        if result.removedFolder {
          print("deleted \(layout.directory)")
        } else {
          print(
            "deleted the cluster's files in \(layout.directory); kept what it did not make: \(result.kept.joined(separator: ", "))"
          )
        }
      }
    } catch {
      throw Failure.exit("local down", error)
    }
  }
}

extension LocalControlClient {
  /// The running supervisor's client; without one, an error that names the pods a dead
  /// supervisor left running, if any.
  static func orOrphans(_ layout: LocalClusterLayout, dir: String) throws -> LocalControlClient {
    do {
      return try LocalControlClient(layout: layout)
    } catch {
      // Only for a cluster this user may see into, whose supervisor is gone.
      guard (try? layout.readConfig()) != nil, !SupervisorLock.isHeld(layout) else { throw error }
      let orphans = ClusterProcesses.orphans(layout)
      guard !orphans.isEmpty else { throw error }
      throw LocalClusterError(
        "the local cluster in \(layout.directory) is not running, but its supervisor left \(orphans.count) pod processes running (pids \(ClusterProcesses.describe(orphans))): stop them with `etcd-pilot local down --dir \(dir)`"
      )
    }
  }
}
