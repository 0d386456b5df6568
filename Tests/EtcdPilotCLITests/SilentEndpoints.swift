import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// TCP listeners that never accept: a connection to one completes its handshake in the
/// kernel's backlog and then hears nothing, like a frozen or blackholed member.
final class SilentEndpoints {
  private var descriptors: [Int32] = []
  /// `http://127.0.0.1:PORT` for each listener.
  private(set) var urls: [String] = []

  init(count: Int) throws {
    for _ in 0..<count {
      let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
      descriptors.append(descriptor)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = 0
      inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard bound == 0, listen(descriptor, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
      var local = sockaddr_in()
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafeMutablePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
      }
      urls.append("http://127.0.0.1:\(UInt16(bigEndian: local.sin_port))")
    }
  }

  deinit {
    for descriptor in descriptors { close(descriptor) }
  }
}
