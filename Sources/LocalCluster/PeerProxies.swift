import Foundation
import Logging
import NIOCore
import PeerProxy
import Synchronization

/// One fault-injecting proxy per pod on its advertised peer port, in front of etcd's real peer
/// port. A connection's initiator is found from the socket's owning process: the pods' process
/// trees, refreshed as pods restart.
final class PeerProxies: Sendable {
  let faults = FaultTable()
  private let config: LocalClusterConfig
  private let logger: Logger
  private let pilots = Mutex<[String: Int32]>([:])

  init(config: LocalClusterConfig, logger: Logger) {
    self.config = config
    self.logger = logger
  }

  /// Runs proxies for every ordinal the StatefulSet uses, adding one as pods appear, until
  /// cancelled.
  func run(statefulSet: LocalStatefulSet) async {
    await withDiscardingTaskGroup { group in
      var started: Set<Int> = []
      while !Task.isCancelled {
        let processes = await statefulSet.podProcesses()
        pilots.withLock { $0 = processes }
        let (replicas, pods) = await statefulSet.snapshot()
        let wanted = Set(pods.map(\.ordinal)).union(0..<replicas)
        for ordinal in wanted.subtracting(started) {
          started.insert(ordinal)
          let pod = config.podName(ordinal)
          let address = config.address(ordinal)
          let (listenPort, targetPort) = (config.peerPort, config.peerListenPort)
          group.addTask { [self] in
            do {
              try await PeerProxy.run(
                pod: pod, listen: try SocketAddress(ipAddress: address, port: listenPort),
                target: try SocketAddress(ipAddress: address, port: targetPort), faults: faults,
                identify: { [self] remote in SocketOwner.owner(of: remote, among: pilots.withLock { $0 }) },
                logger: logger)
            } catch {
              logger.error("peer proxy of \(pod) failed: \(error)")
            }
          }
        }
        try? await Task.sleep(for: .milliseconds(200))
      }
    }
  }

  /// Sets a pod's fault: `none`, `blackhole`, `delay` (milliseconds) or `drop` (probability).
  func set(mode: String, ordinal: Int, delayMilliseconds: Int?, probability: Double?) throws(LocalClusterError) {
    let fault: Fault
    switch mode {
    case "none", "heal": fault = .none
    case "blackhole", "partition": fault = .blackhole
    case "delay": fault = .delay(.milliseconds(delayMilliseconds ?? 100))
    case "drop": fault = .drop(probability: probability ?? 0.1)
    default: throw LocalClusterError("fault '\(mode)' is not none, blackhole, delay or drop")
    }
    faults.set(fault, for: config.podName(ordinal))
    logger.info("peer traffic of \(config.podName(ordinal)): \(fault)")
  }
}
