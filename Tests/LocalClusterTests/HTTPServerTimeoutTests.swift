import Foundation
import HTTPEndpoints
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client, to send half a request the way a slow or hostile client would.
struct RawConnection: ~Copyable {
  let descriptor: Int32

  init(port: Int) throws {
    descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
  }

  deinit { close(descriptor) }

  func send(_ text: String) {
    _ = text.utf8CString.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
  }

  /// Everything the server sends until it closes the connection, or nil if it has not closed it
  /// within `limit`.
  func readUntilClosed(limit: Duration) -> String? {
    var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
      let count = recv(descriptor, &buffer, buffer.count, 0)
      if count == 0 { return String(decoding: received, as: UTF8.self) }
      if count > 0 { received += buffer[..<count] } else if errno != EAGAIN && errno != EINTR { return String(decoding: received, as: UTF8.self) }
    }
    return nil
  }
}

@Suite("HTTPServer: a request must arrive in time", .timeLimit(.minutes(1)))
struct HTTPServerTimeoutTests {
  private func withServer(_ body: (HTTPServer) async throws -> Void) async throws {
    let server = try await HTTPServer.bind(host: "127.0.0.1", port: 0, timeouts: .init(header: .seconds(1), idle: .seconds(1)))
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await server.serve { _ in .text("ok") } }
      try await body(server)
      group.cancelAll()
    }
  }

  @Test("half a request head: the connection is closed after the header timeout, unanswered")
  func halfHead() async throws {
    try await withServer { server in
      let connection = try RawConnection(port: server.port)
      connection.send("GET /status HTTP/1.1\r\nHost: x\r\n")
      let started = ContinuousClock.now
      let answer: String? = connection.readUntilClosed(limit: .seconds(5))
      #expect(answer == "", "the server kept the half-sent request's connection open (or answered it): \(answer ?? "still open")")
      #expect(ContinuousClock.now - started >= .milliseconds(800))
    }
  }

  @Test("a body that stops coming: closed after the idle timeout; a whole request is answered")
  func stalledBody() async throws {
    try await withServer { server in
      let stalled = try RawConnection(port: server.port)
      stalled.send("POST /scale HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
      let stalledAnswer: String? = stalled.readUntilClosed(limit: .seconds(5))
      #expect(stalledAnswer == "")

      let whole = try RawConnection(port: server.port)
      whole.send("GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
      let received = whole.readUntilClosed(limit: .seconds(5))
      let answer = try #require(received)
      #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
      #expect(answer.hasSuffix("ok\n"))
    }
  }
}
