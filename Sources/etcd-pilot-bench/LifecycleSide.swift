import EtcdClient
import Foundation

/// One side of the lifecycle benchmark: how it carries out each flow. Both sides are timed by
/// the same runner against the same definition of healthy.
protocol LifecycleSide: Sendable {
  /// For progress lines: "bare" or "etcd-pilot".
  var label: String { get }
  func endpoints(_ count: Int) -> [EtcdEndpoint]
  func bootstrap3() async throws
  func killAndRestart(_ ordinal: Int) async throws
  func scale3to5() async throws
  func scale5to3() async throws
  /// The agents' and the etcd servers' process IDs, for the idle footprint.
  func processes() async throws -> (agents: [Int32], etcd: [Int32])
  func stop() async
}

extension BareCluster: LifecycleSide {
  nonisolated var label: String { "bare" }
  func bootstrap3() async throws { try await bootstrap(3) }
  func killAndRestart(_ ordinal: Int) async throws {
    try await killAndRestart(ordinal, restartDelay: LifecycleCommand.restartDelay)
  }
  func scale3to5() async throws {
    try await add(3, to: 3)
    try await add(4, to: 4)
  }
  func scale5to3() async throws {
    try await remove(4, from: 5)
    try await remove(3, from: 4)
  }
  func processes() async throws -> (agents: [Int32], etcd: [Int32]) {
    ([], pids.sorted { $0.key < $1.key }.map(\.value))
  }
}

extension PilotCluster: LifecycleSide {
  var label: String { "etcd-pilot" }
  func bootstrap3() async throws { try await up(3) }
  func killAndRestart(_ ordinal: Int) async throws { try await kill(ordinal) }
  func scale3to5() async throws { try await scale(5) }
  func scale5to3() async throws { try await scale(3) }
  func processes() async throws -> (agents: [Int32], etcd: [Int32]) {
    let agents = try await pods().filter { $0.ordinal < 3 }.compactMap(\.pid)
    return (agents, agents.flatMap { ProcessFootprint.children(of: $0, named: "etcd") })
  }
  func stop() async { await down() }
}
