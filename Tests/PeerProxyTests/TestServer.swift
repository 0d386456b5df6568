import NIOCore
import NIOPosix
import Synchronization

/// What a test server does with its connections.
enum TestServerBehavior: Sendable {
  /// Sends back every byte it receives.
  case echo
  /// Never reads: its peers' writes back up (for backpressure).
  case neverRead
  /// Reads until the peer half-closes, then answers with the byte count and closes.
  case countUntilEndOfInput
}

/// Runs `body` with a TCP server listening on `host` (a free port), then stops the server and
/// closes every connection it accepted. It stands in for etcd's peer listener.
func withTestServer<Result>(
  host: String, behavior: TestServerBehavior = .echo, _ body: (SocketAddress) async throws -> Result
) async throws -> Result {
  let accepted = Mutex<[any Channel]>([])
  let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.autoRead, value: behavior != .neverRead)
    .childChannelOption(.allowRemoteHalfClosure, value: behavior == .countUntilEndOfInput)
    .childChannelInitializer { channel in
      accepted.withLock { $0.append(channel) }
      return channel.eventLoop.makeCompletedFuture {
        switch behavior {
        case .echo: try channel.pipeline.syncOperations.addHandler(EchoHandler())
        case .neverRead: break
        case .countUntilEndOfInput:
          try channel.pipeline.syncOperations.addHandler(CountingHandler())
        }
      }
    }
    .bind(host: host, port: 0).get()
  func stop() async {
    try? await server.close()
    for channel in accepted.withLock({ $0 }) { try? await channel.close() }
  }
  do {
    let result = try await body(server.localAddress!)
    await stop()
    return result
  } catch {
    await stop()
    throw error
  }
}

private final class EchoHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    context.write(data, promise: nil)
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    context.flush()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }
}

private final class CountingHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer
  private var count = 0

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    count += unwrapInboundIn(data).readableBytes
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    guard let event = event as? ChannelEvent, event == .inputClosed else { return }
    let answer = context.channel.allocator.buffer(string: "\(count)\n")
    context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in
      context.close(promise: nil)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }
}
