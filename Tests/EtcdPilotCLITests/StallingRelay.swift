import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay in front of a real server that passes the server's bytes until a budget is
/// spent and then holds the rest (the connection stays open, nothing more arrives): a member
/// that stops mid-snapshot, at a moment the test chooses. ``pass()`` lets everything through.
final class StallingRelay: Sendable {
  let port: Int
  private let listener: Int32
  private let target: (host: String, port: Int)
  /// Bytes from the server still to pass; nil: no limit.
  private let budget: Mutex<Int?>
  private let sockets = Mutex<[Int32]>([])
  /// Bumped by ``limit(_:)``: the pumps of older connections stop instead of spending the budget.
  private let generation = Mutex(0)

  init(host: String, to target: (host: String, port: Int), budget: Int) throws {
    self.target = target
    self.budget = Mutex(budget)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = Self.address(host, port: 0)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(descriptor, 16) == 0 else {
      Glibc.close(descriptor)
      throw POSIXError(.EADDRINUSE)
    }
    var local = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &local) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    listener = descriptor
    port = Int(UInt16(bigEndian: local.sin_port))
    Thread.detachNewThread { [self] in acceptLoop() }
  }

  /// From now on every byte passes, also on connections that were held.
  func pass() { budget.withLock { $0 = nil } }

  /// Drops every relayed connection; on new ones `bytes` pass, then the rest is held.
  func limit(_ bytes: Int) {
    generation.withLock { $0 += 1 }
    for socket in sockets.withLock({ list in
      defer { list = [] }
      return list
    }) { shutdown(socket, Int32(SHUT_RDWR)) }
    budget.withLock { $0 = bytes }
  }

  /// Closes the listener and every relayed connection.
  func close() {
    shutdown(listener, Int32(SHUT_RDWR))
    Glibc.close(listener)
    for socket in sockets.withLock({ $0 }) { shutdown(socket, Int32(SHUT_RDWR)) }
  }

  private static func address(_ host: String, port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &address.sin_addr)
    return address
  }

  private func acceptLoop() {
    while true {
      let client = accept(listener, nil, nil)
      guard client >= 0 else { return }
      let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var address = Self.address(target.host, port: target.port)
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard connected == 0 else {
        Glibc.close(client)
        Glibc.close(server)
        continue
      }
      sockets.withLock { $0 += [client, server] }
      Thread.detachNewThread { [self] in pump(from: client, to: server, limited: false) }
      Thread.detachNewThread { [self] in pump(from: server, to: client, limited: true) }
    }
  }

  private func pump(from source: Int32, to sink: Int32, limited: Bool) {
    var buffer = [UInt8](repeating: 0, count: 16384)
    let born = generation.withLock { $0 }
    while generation.withLock({ $0 }) == born {
      var allowed = buffer.count
      if limited {
        // Hold: wait until the budget has room again (or no limit).
        while let left = budget.withLock({ $0 }), left <= 0, generation.withLock({ $0 }) == born { usleep(20_000) }
        guard generation.withLock({ $0 }) == born else { break }
        allowed = min(allowed, budget.withLock { $0 } ?? allowed)
      }
      let count = recv(source, &buffer, allowed, 0)
      guard count > 0 else { break }
      if limited { budget.withLock { if let left = $0 { $0 = left - count } } }
      var offset = 0
      while offset < count {
        let sent = buffer[offset..<count].withUnsafeBytes { send(sink, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent > 0 else { break }
        offset += sent
      }
    }
    shutdown(sink, Int32(SHUT_WR))
  }
}
