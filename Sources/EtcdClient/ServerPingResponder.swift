import NIOCore
import NIOHTTP2

/// Answers the HTTP/2 PING frames an etcd server sends, below the HTTP/2 handler, so that
/// swift-nio-http2 never sees them.
///
/// Why: etcd's gRPC server (grpc-go) estimates bandwidth by sending a PING after DATA it
/// receives, so a client making sequential calls receives about one PING per call.
/// swift-nio-http2 1.46 rate-limits inbound control frames (200 per 30 s, not configurable
/// through grpc-swift-nio-transport 2.9) and closes the connection when the limit is passed:
/// every 200th call would fail with "Stream unexpectedly closed". This handler sits between TLS
/// (if any) and HTTP/2, acknowledges each server-initiated PING with the same payload, as
/// RFC 9113 §6.7 requires, and passes every other byte through unchanged. PING ACKs for the
/// client's own keepalive pings are passed up as before.
final class ServerPingResponder: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private static let frameHeaderLength = 9
  private static let pingType: UInt8 = 0x6
  private static let ackFlag: UInt8 = 0x1
  private static let pingPayloadLength = 8

  /// The start of a frame that has not fully arrived yet.
  private var pending: ByteBuffer?

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var bytes = unwrapInboundIn(data)
    if var buffered = pending {
      buffered.writeBuffer(&bytes)
      bytes = buffered
      pending = nil
    }
    // Walk the frames without consuming them: forward runs of whole frames, cut out server
    // PINGs, keep a trailing partial frame for the next read.
    let end = bytes.writerIndex
    var cursor = bytes.readerIndex
    var runStart = cursor
    var answered = false
    while end - cursor >= Self.frameHeaderLength,
      let lengthHigh = bytes.getInteger(at: cursor, as: UInt8.self),
      let lengthLow = bytes.getInteger(at: cursor + 1, as: UInt16.self),
      let type = bytes.getInteger(at: cursor + 3, as: UInt8.self),
      let flags = bytes.getInteger(at: cursor + 4, as: UInt8.self)
    {
      let frameLength = Self.frameHeaderLength + (Int(lengthHigh) << 16 | Int(lengthLow))
      guard end - cursor >= frameLength else { break }
      if type == Self.pingType, flags & Self.ackFlag == 0,
        frameLength == Self.frameHeaderLength + Self.pingPayloadLength,
        let payload = bytes.getSlice(at: cursor + Self.frameHeaderLength, length: Self.pingPayloadLength)
      {
        forward(bytes, from: runStart, to: cursor, context: context)
        var ack = context.channel.allocator.buffer(capacity: frameLength)
        ack.writeInteger(UInt8(0))
        ack.writeInteger(UInt16(Self.pingPayloadLength))
        ack.writeInteger(Self.pingType)
        ack.writeInteger(Self.ackFlag)
        ack.writeInteger(UInt32(0))
        ack.writeImmutableBuffer(payload)
        context.write(wrapOutboundOut(ack), promise: nil)
        answered = true
        runStart = cursor + frameLength
      }
      cursor += frameLength
    }
    forward(bytes, from: runStart, to: cursor, context: context)
    if cursor < end { pending = bytes.getSlice(at: cursor, length: end - cursor) }
    if answered { context.flush() }
  }

  private func forward(_ bytes: ByteBuffer, from start: Int, to end: Int, context: ChannelHandlerContext) {
    guard end > start, let run = bytes.getSlice(at: start, length: end - start) else { return }
    context.fireChannelRead(wrapInboundOut(run))
  }

  /// Installs the responder just below the HTTP/2 handler of a new gRPC connection.
  static func install(on channel: any Channel) -> EventLoopFuture<Void> {
    channel.eventLoop.makeCompletedFuture {
      let operations = channel.pipeline.syncOperations
      let http2 = try operations.handler(type: NIOHTTP2Handler.self)
      try operations.addHandler(ServerPingResponder(), position: .before(http2))
    }
  }
}
