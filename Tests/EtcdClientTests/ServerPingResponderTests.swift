import NIOCore
import NIOEmbedded
import Testing

@testable import EtcdClient

@Suite("Server PING responder")
struct ServerPingResponderTests {
  private func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
    let length = payload.count
    return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
      + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
  }

  private func run(_ chunks: [[UInt8]]) throws -> (passed: [UInt8], written: [UInt8]) {
    let channel = EmbeddedChannel(handler: ServerPingResponder())
    for chunk in chunks {
      try channel.writeInbound(ByteBuffer(bytes: chunk))
    }
    var passed: [UInt8] = []
    while let buffer = try channel.readInbound(as: ByteBuffer.self) { passed += Array(buffer.readableBytesView) }
    var written: [UInt8] = []
    while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += Array(buffer.readableBytesView) }
    _ = try channel.finish()
    return (passed, written)
  }

  @Test("a server PING is answered with an ACK of the same payload and not passed up")
  func answersPing() throws {
    let settings = frame(type: 0x4, payload: [0, 3, 0, 0, 0, 100])
    let ping = frame(type: 0x6, payload: [1, 2, 3, 4, 5, 6, 7, 8])
    let data = frame(type: 0x0, flags: 1, stream: 1, payload: Array("hello".utf8))
    let result = try run([settings + ping + data])
    #expect(result.passed == settings + data)
    #expect(result.written == frame(type: 0x6, flags: 1, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
  }

  @Test("frames split across reads at every byte are reassembled; PING ACKs from the server pass up")
  func splitFrames() throws {
    let ack = frame(type: 0x6, flags: 1, payload: [9, 9, 9, 9, 9, 9, 9, 9])
    let ping = frame(type: 0x6, payload: [8, 7, 6, 5, 4, 3, 2, 1])
    let headers = frame(type: 0x1, flags: 4, stream: 3, payload: [0x88])
    let stream = ack + ping + headers
    for cut in 1..<stream.count {
      let result = try run([Array(stream[..<cut]), Array(stream[cut...])])
      #expect(result.passed == ack + headers, "cut at \(cut)")
      #expect(result.written == frame(type: 0x6, flags: 1, payload: [8, 7, 6, 5, 4, 3, 2, 1]), "cut at \(cut)")
    }
  }
}
