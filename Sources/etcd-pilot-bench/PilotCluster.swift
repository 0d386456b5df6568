import ChildProcess
import EtcdClient
import Foundation

/// The other side of the lifecycle benchmark: a cluster run by etcd-pilot on the local
/// StatefulSet, driven through the `etcd-pilot local` commands exactly as a user types them.
struct PilotCluster: Sendable {
  let pilot: String
  let etcd: String
  let addressBase: String
  let directory: URL
  /// More `local up` flags (e.g. `--pilot-arg=--no-leader-handoff`).
  var upArguments: [String] = []

  /// One pod as `local status -w json` reports it.
  struct Pod: Decodable, Sendable {
    var name: String
    var ordinal: Int
    var pid: Int32?
    var role: String?
  }

  private struct Status: Decodable {
    var pods: [Pod]
  }

  func endpoint(_ ordinal: Int) -> EtcdEndpoint { EtcdEndpoint(host: "\(addressBase).\(ordinal + 1)", port: 2379) }
  func endpoints(_ count: Int) -> [EtcdEndpoint] { (0..<count).map(endpoint) }

  /// `local up --replicas N --detach`: returns once the command says the cluster is up. No peer
  /// proxies: the baseline has none either.
  func up(_ replicas: Int) async throws {
    try await local(
      [
        "up", "--replicas", String(replicas), "--detach", "--etcd", etcd, "--address-base", addressBase, "--no-proxies",
      ] + upArguments)
  }

  /// `local kill N --signal S`: returns once the pod has restarted and the cluster is healthy.
  func kill(_ ordinal: Int, signal: String = "KILL") async throws {
    try await local(["kill", String(ordinal), "--signal", signal])
  }
  func scale(_ replicas: Int) async throws { try await local(["scale", "--replicas", String(replicas)]) }
  func down() async { _ = try? await local(["down", "--purge"]) }

  /// The pods, with their pilot process IDs.
  func pods() async throws -> [Pod] {
    let output = try await local(["status", "--output", "json"])
    guard let start = output.firstIndex(of: "{") else { throw BenchError("local status printed no JSON: \(output)") }
    return try JSONDecoder().decode(Status.self, from: Data(output[start...].utf8)).pods
  }

  @discardableResult
  private func local(_ arguments: [String]) async throws -> String {
    let full = ["local"] + arguments + ["--dir", directory.path, "--timeout", "180s"]
    let (status, output) = try await CommandRun.run(pilot, full, scratch: directory.deletingLastPathComponent())
    guard status == .exited(0) else {
      throw BenchError("etcd-pilot \(full.joined(separator: " ")) \(status): \(output.suffix(2000))")
    }
    return output
  }
}
