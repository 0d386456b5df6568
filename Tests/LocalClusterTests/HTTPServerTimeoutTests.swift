import EtcdTestFixtures
import Foundation
import HTTPEndpoints
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("HTTPServer: a request must arrive in time", .timeLimit(.minutes(1)))
struct HTTPServerTimeoutTests {
  private func withServer(_ body: (HTTPServer) async throws -> Void) async throws {
    let server = try await HTTPServer.bind(
      host: "127.0.0.1", port: 0, timeouts: .init(header: .seconds(1), idle: .seconds(1)))
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await server.serve { _ in .text("ok") } }
      try await body(server)
      group.cancelAll()
    }
  }

  @Test("half a request head: the connection is closed after the header timeout, unanswered")
  func halfHead() async throws {
    try await withServer { server in
      let connection = try RawTCPConnection(port: server.port)
      connection.send("GET /status HTTP/1.1\r\nHost: x\r\n")
      let started = ContinuousClock.now
      let answer: String? = connection.readUntilClosed(limit: .seconds(5))
      #expect(
        answer == "",
        "the server kept the half-sent request's connection open (or answered it): \(answer ?? "still open")")
      #expect(ContinuousClock.now - started >= .milliseconds(800))
    }
  }

  @Test("a body that stops coming: closed after the idle timeout; a whole request is answered")
  func stalledBody() async throws {
    try await withServer { server in
      let stalled = try RawTCPConnection(port: server.port)
      stalled.send("POST /scale HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
      let stalledAnswer: String? = stalled.readUntilClosed(limit: .seconds(5))
      #expect(stalledAnswer == "")

      let whole = try RawTCPConnection(port: server.port)
      whole.send("GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
      let received = whole.readUntilClosed(limit: .seconds(5))
      let answer = try #require(received)
      #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
      #expect(answer.hasSuffix("ok\n"))
    }
  }
}
