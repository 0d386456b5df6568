import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Hands out loopback addresses so that tests, also in parallel processes, never collide.
///
/// 127.0.0.0/8 is all loopback on Linux: each member gets an address of its own and uses etcd's
/// usual ports. An address is 127.X.Y.Z where X.Y derive from this process's ID (two test
/// processes get different blocks) and Z counts up; an address whose ports are taken is skipped.
public enum Loopback {
  private static let counter = Mutex(0)

  /// A fresh address whose `ports` are all free right now.
  public static func address(freePorts ports: [Int] = [2379, 2380]) throws -> String {
    let pid = Int(getpid())
    let block = (2 + (pid / 254) % 250, 1 + pid % 254)
    for _ in 0..<254 {
      let z = counter.withLock { value -> Int in
        value = value % 254 + 1
        return value
      }
      let address = "127.\(block.0).\(block.1).\(z)"
      if ports.allSatisfy({ isFree(address: address, port: $0) }) { return address }
    }
    throw FixtureError("no free loopback address in 127.\(block.0).\(block.1).0/24")
  }

  private static let blockCounter = Mutex(0)

  /// A /24 block `127.A.B` whose first `hosts` addresses have all `ports` free, for a local
  /// cluster (pods at `.1`, `.2`, …). Blocks live in 127.252-254.*, apart from ``address(freePorts:)``.
  public static func block(hosts: Int = 9, freePorts ports: [Int] = [2379, 2380, 2390, 12380]) throws -> String {
    let pid = Int(getpid())
    for _ in 0..<(3 * 254) {
      let n = blockCounter.withLock { value -> Int in
        value += 1
        return value
      }
      let base = "127.\(252 + n % 3).\(1 + (pid + n / 3) % 254)"
      let free = (1...hosts).allSatisfy { host in ports.allSatisfy { isFree(address: "\(base).\(host)", port: $0) } }
      if free { return base }
    }
    throw FixtureError("no free loopback block in 127.252-254.*")
  }

  /// True when a TCP listener could bind `address:port` now.
  public static func isFree(address: String, port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, address, &addr.sin_addr)
    return withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}
