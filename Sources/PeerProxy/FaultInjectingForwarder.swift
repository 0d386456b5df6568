import NIOCore

/// One half of a proxied connection: reads bytes from its own channel and delivers them to the
/// partner's channel, with the connection's current fault applied. Two of these, one on each
/// channel and on the same event loop, make a connection (see ``makePair(fault:)``).
///
/// Backpressure: reading pauses while the partner's channel is not writable or while too many
/// bytes wait in the delay queue, so memory stays bounded whatever the peers and the fault do.
///
/// Order: every chunk gets a due time that is never earlier than the one before it, and the
/// queue is delivered strictly in order — a delayed or "retransmitted" chunk holds back the ones
/// behind it, as TCP's in-order delivery would.
final class FaultInjectingForwarder: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  /// Reading pauses while this many bytes or more wait in the queue.
  static let maxQueuedBytes = 1 << 20

  /// How long a "dropped" chunk is held back: TCP's first retransmissions take about this long.
  static let retransmissionHold: ClosedRange<Int64> = 200...1000

  /// How far this side's input has ended; told to the partner once the queue has drained.
  private enum InputEnd: Int, Comparable {
    case open, halfClosed, closed
    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  private struct QueuedChunk {
    var bytes: ByteBuffer
    var due: NIODeadline
  }

  /// The fault of this connection now (looked up in the shared fault table).
  private let currentFault: @Sendable () -> Fault
  private var partner: FaultInjectingForwarder?
  private var context: ChannelHandlerContext?
  private var eventLoop: (any EventLoop)?
  private var queue = CircularBuffer<QueuedChunk>()
  private var queuedBytes = 0
  private var lastDue = NIODeadline.uptimeNanoseconds(0)
  private var deliveryTimer: Scheduled<Void>?
  /// A `read()` was held back by backpressure and is owed to the channel.
  private var readHeldBack = false
  private var inputEnd = InputEnd.open
  private var inputEndForwarded = InputEnd.open
  /// The partner's channel is closed: what this side reads has nowhere to go.
  private var partnerClosed = false

  private init(currentFault: @escaping @Sendable () -> Fault) {
    self.currentFault = currentFault
  }

  /// Two forwarders that deliver to each other; add one to each channel of the connection.
  /// Must be called on the event loop that both channels share.
  static func makePair(
    fault: @escaping @Sendable () -> Fault
  ) -> (FaultInjectingForwarder, FaultInjectingForwarder) {
    let first = FaultInjectingForwarder(currentFault: fault)
    let second = FaultInjectingForwarder(currentFault: fault)
    first.partner = second
    second.partner = first
    return (first, second)
  }

  // MARK: Channel events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    self.eventLoop = context.eventLoop
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    self.context = nil
    // While only one channel is closed, its queue still drains into the other one; once neither
    // forwarder is in a pipeline (both removed, or the partner never added because joining
    // failed), nothing can be delivered any more: drop the queues and break the reference cycle.
    if let partner, partner.context == nil {
      partner.tearDown()
      tearDown()
    }
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let bytes = unwrapInboundIn(data)
    guard !partnerClosed else { return }
    let now = NIODeadline.now()
    var due = now
    switch currentFault() {
    case .none:
      break
    case .blackhole:
      // Swallowed. The connection is closed when the blackhole is lifted (ProxiedConnection).
      return
    case .delay(let delay):
      due = now + TimeAmount(delay)
    case .drop(let probability):
      if Double.random(in: 0..<1) < probability {
        due = now + .milliseconds(Int64.random(in: Self.retransmissionHold))
      }
    }
    lastDue = max(lastDue, due)
    queue.append(QueuedChunk(bytes: bytes, due: lastDue))
    queuedBytes += bytes.readableBytes
    deliverDueChunks()
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let event = event as? ChannelEvent, event == .inputClosed {
      inputEnd = max(inputEnd, .halfClosed)
      deliverDueChunks()
    }
    context.fireUserInboundEventTriggered(event)
  }

  func channelInactive(context: ChannelHandlerContext) {
    inputEnd = .closed
    partner?.partnerDidClose()
    deliverDueChunks()
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // A reset or a failed write: close this side; the partner is closed once the queue drained.
    context.close(promise: nil)
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    if context.channel.isWritable { partner?.resumeReadingIfPossible() }
    context.fireChannelWritabilityChanged()
  }

  // MARK: Outbound: hold reads back while the other side cannot take more

  func read(context: ChannelHandlerContext) {
    if canRead {
      context.read()
    } else {
      readHeldBack = true
    }
  }

  private var canRead: Bool {
    // Once the partner is closed, reads are discarded: keep reading to see this side's end.
    partnerClosed
      || (queuedBytes < Self.maxQueuedBytes && (partner?.context?.channel.isWritable ?? true))
  }

  private func resumeReadingIfPossible() {
    guard readHeldBack, canRead, let context else { return }
    readHeldBack = false
    context.read()
  }

  // MARK: Delivery

  /// Delivers every chunk that is due, schedules the next delivery, and once the queue is empty
  /// passes the end of the input on to the partner.
  private func deliverDueChunks() {
    let now = NIODeadline.now()
    // A blackhole set while chunks were waiting swallows them too.
    let blackholed =
      !queue.isEmpty || inputEnd > inputEndForwarded ? currentFault() == .blackhole : false
    var delivered = false
    while let head = queue.first, head.due <= now || partnerClosed || blackholed {
      queue.removeFirst()
      queuedBytes -= head.bytes.readableBytes
      guard !partnerClosed, !blackholed, let partner else { continue }
      partner.write(head.bytes)
      delivered = true
    }
    if delivered { partner?.context?.flush() }

    if let head = queue.first {
      scheduleDelivery(at: head.due)
    } else if inputEnd > inputEndForwarded && !blackholed {
      // Even the end of a stream stays inside a blackhole: on heal the connection is closed.
      inputEndForwarded = inputEnd
      partner?.endOutput(closingFully: inputEnd == .closed)
    }
    resumeReadingIfPossible()
  }

  private func scheduleDelivery(at deadline: NIODeadline) {
    guard deliveryTimer == nil, let eventLoop else { return }
    deliveryTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
      self.deliveryTimer = nil
      self.deliverDueChunks()
    }
  }

  // MARK: Called by the partner

  private func write(_ bytes: ByteBuffer) {
    context?.write(wrapOutboundOut(bytes), promise: nil)
  }

  /// Ends this channel's output: a half close when the partner's input ended, a full close when
  /// its channel closed. NIO drops pending writes on a full close (also when a half close
  /// escalates to one), so this waits until everything written before it is on the socket.
  private func endOutput(closingFully: Bool) {
    guard let context else { return }
    let written = context.eventLoop.makePromise(of: Void.self)
    context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
    written.futureResult.assumeIsolated().whenComplete { _ in
      context.close(mode: closingFully ? .all : .output, promise: nil)
    }
  }

  private func partnerDidClose() {
    partnerClosed = true
    queue.removeAll()
    queuedBytes = 0
    deliveryTimer?.cancel()
    deliveryTimer = nil
    resumeReadingIfPossible()
  }

  private func tearDown() {
    deliveryTimer?.cancel()
    deliveryTimer = nil
    queue.removeAll()
    queuedBytes = 0
    partner = nil
  }
}

@available(*, unavailable)
extension FaultInjectingForwarder: Sendable {}
