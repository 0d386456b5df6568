import NIOCore
import NIOPosix
import Synchronization

/// A TCP client for the tests: sends bytes and collects, in order, whatever comes back.
final class TestClient: Sendable {
  let channel: any Channel
  private let inbox: Inbox

  private init(channel: any Channel, inbox: Inbox) {
    self.channel = channel
    self.inbox = inbox
  }

  static func connect(to address: SocketAddress) async throws -> TestClient {
    let inbox = Inbox()
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(CollectingHandler(inbox: inbox))
        }
      }
      .connect(to: address).get()
    return TestClient(channel: channel, inbox: inbox)
  }

  func send(_ bytes: [UInt8]) async throws {
    try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
  }

  /// The next `count` bytes received, or `nil` if they did not all arrive within `timeout`
  /// (or the connection closed first).
  func receive(count: Int, within timeout: Duration) async -> [UInt8]? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      switch inbox.take(count) {
      case .bytes(let bytes): return bytes
      case .closed: return nil
      case .notYet: try? await Task.sleep(for: .milliseconds(5))
      }
    }
    return nil
  }

  /// Sends `message` and returns how long the echo took, or `nil` if none came within `timeout`.
  func roundTrip(_ message: [UInt8], within timeout: Duration) async throws -> Duration? {
    let start = ContinuousClock.now
    try await send(message)
    guard let echo = await receive(count: message.count, within: timeout), echo == message else {
      return nil
    }
    return ContinuousClock.now - start
  }

  /// Whether the other side closed the connection within `timeout`.
  func isClosed(within timeout: Duration) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if inbox.isClosed { return true }
      try? await Task.sleep(for: .milliseconds(5))
    }
    return inbox.isClosed
  }

  /// Half-closes: tells the other side that nothing more will be sent.
  func closeOutput() async throws {
    try await channel.close(mode: .output)
  }

  /// Bytes written but not yet taken by the socket.
  func bufferedBytes() async throws -> Int {
    try await channel.getOption(.bufferedWritableBytes).get()
  }

  func close() async {
    try? await channel.close()
  }
}

/// What a ``TestClient`` received so far, shared between its channel handler and the test.
final class Inbox: Sendable {
  enum Take {
    case bytes([UInt8])
    case notYet, closed
  }

  private struct State {
    var bytes: [UInt8] = []
    var closed = false
  }

  private let state = Mutex(State())

  func append(_ buffer: ByteBuffer) {
    state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
  }

  func markClosed() {
    state.withLock { $0.closed = true }
  }

  var isClosed: Bool { state.withLock { $0.closed } }

  func take(_ count: Int) -> Take {
    state.withLock { state in
      if state.bytes.count >= count {
        defer { state.bytes.removeFirst(count) }
        return .bytes(Array(state.bytes.prefix(count)))
      }
      return state.closed ? .closed : .notYet
    }
  }
}

private final class CollectingHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  let inbox: Inbox

  init(inbox: Inbox) { self.inbox = inbox }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    inbox.append(unwrapInboundIn(data))
  }

  func channelInactive(context: ChannelHandlerContext) {
    inbox.markClosed()
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }
}
