import Foundation
import NIOCore
import PeerProxy

#if canImport(Glibc)
import Glibc
#endif

/// The ports a local cluster's pods listen on, checked free before `up` starts anything: a
/// program already listening on a pod's address (another etcd, say) would otherwise answer
/// for the pod — a pilot could join that other cluster.
public enum PodPorts {
  /// The ports pod `ordinal` binds: client, peer (the proxy's, with proxies), etcd's peer
  /// listener behind the proxy, and the pilot's.
  static func ports(_ config: LocalClusterConfig) -> [(name: String, port: Int)] {
    var ports = [("client", config.clientPort), ("peer", config.peerPort), ("pilot", config.pilotPort)]
    if config.proxies, config.manifest == nil { ports.append(("etcd peer listener", config.peerListenPort)) }
    return ports
  }

  /// Throws a one-line error naming the first address and port of pods `0..<replicas` that
  /// something else listens on, and the process when it can be found.
  public static func checkFree(_ config: LocalClusterConfig, replicas: Int) throws(LocalClusterError) {
    for ordinal in 0..<replicas {
      let address = config.address(ordinal)
      for (name, port) in ports(config) where !isFree(address: address, port: port) {
        let holder = (try? SocketAddress(ipAddress: address, port: port)).flatMap {
          SocketOwner.pid(of: $0, among: ClusterProcesses.allProcesses())
        }
        let who = holder.map { "pid \($0) (\(ClusterProcesses.name($0)))" } ?? "another program"
        throw LocalClusterError(
          "\(address):\(port), the \(name) port of \(config.podName(ordinal)), is in use by \(who), not by this cluster: stop it, or run the cluster on other addresses (--address-base; a new --dir for a cluster with data)"
        )
      }
    }
  }

  /// True when a TCP listener could bind `address:port` now (a socket left in TIME_WAIT does
  /// not count: the pods bind with SO_REUSEADDR too).
  static func isFree(address: String, port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var yes: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
    guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else { return false }
    return withUnsafePointer(to: &socketAddress) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}
