import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One accepted connection of a ``PeerProxy``: finds out who initiated it when that matters,
/// connects it to the target unless it is blackholed, and closes it when a blackhole it was in
/// is lifted.
struct ProxiedConnection {
  let inbound: any Channel
  let pod: String
  let target: SocketAddress
  let faults: FaultTable
  let identify: PeerProxy.Identify
  let logger: Logger

  /// How long dialing the target may take before the accepted connection is given up.
  static let connectTimeout = TimeAmount.seconds(5)

  /// Serves the connection until both of its channels are closed; on cancellation, closes them.
  func serve() async {
    // Subscribe before reading the current fault: a change in between is then seen twice rather
    // than never.
    let changes = faults.changes()
    let initiator = Initiator()
    // Who initiated the connection matters only while another pod has a fault; found out then.
    if faults.dependsOnInitiator(target: pod) { initiator.found(await identifyInitiator()) }
    let logger = connectionLogger(initiator: initiator)
    let (faults, pod) = (faults, pod)
    let currentFault: @Sendable () -> Fault = { faults.fault(target: pod, initiator: initiator.name) }
    let faultAtAccept = currentFault()
    logger.debug("accepted peer connection", metadata: ["fault": "\(faultAtAccept)"])

    var channels = [inbound]
    if faultAtAccept == .blackhole {
      // Accepted but silent: the target never hears of it, whatever arrives is discarded (by the
      // pipeline's tail), and the peer's close ends it. On heal it is closed like the others.
      _ = try? await inbound.setOption(.allowRemoteHalfClosure, value: false).flatMap {
        inbound.setOption(.autoRead, value: true)
      }.get()
    } else {
      do {
        let outbound = try await connectToTarget()
        channels.append(outbound)
        try await Self.join(inbound, outbound, fault: currentFault)
      } catch {
        logger.debug("closing peer connection: target \(target) unreachable: \(error)")
        for channel in channels { channel.close(promise: nil) }
        return
      }
    }

    let connectionChannels = channels
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        await closeWhenBlackholeLifts(
          on: connectionChannels, changes: changes,
          initiallyBlackholed: faultAtAccept == .blackhole, initiator: initiator, logger: logger
        )
      }
      for channel in connectionChannels { try? await channel.closeFuture.get() }
      group.cancelAll()
    }
    logger.debug("peer connection closed")
  }

  private func connectionLogger(initiator: Initiator) -> Logger {
    var logger = logger
    logger[metadataKey: "initiator"] = "\(initiator.isKnown ? initiator.name ?? "unknown" : "not identified")"
    logger[metadataKey: "remote"] = "\(inbound.remoteAddress.map { "\($0)" } ?? "?")"
    return logger
  }

  /// The pod that initiated the connection, if any. Off Swift's cooperative pool: identifying
  /// reads /proc, which blocks for milliseconds (more on a busy machine), and on the pool's
  /// threads — one per core — it held up every other task of the process.
  private func identifyInitiator() async -> String? {
    let (remote, identify) = (inbound.remoteAddress, identify)
    return (try? await NIOThreadPool.singleton.runIfActive { remote.flatMap(identify) }) ?? nil
  }

  private func connectToTarget() async throws -> any Channel {
    // The same event loop as the accepted channel: the two forwarders then never need a lock.
    try await ClientBootstrap(group: inbound.eventLoop)
      .connectTimeout(Self.connectTimeout)
      .channelOption(.autoRead, value: false)
      .channelOption(.allowRemoteHalfClosure, value: true)
      .connect(to: target).get()
  }

  /// Puts a pair of forwarders on the two channels, then lets them read.
  private static func join(
    _ inbound: any Channel, _ outbound: any Channel, fault: @escaping @Sendable () -> Fault
  ) async throws {
    try await inbound.eventLoop.submit {
      let (inboundForwarder, outboundForwarder) = FaultInjectingForwarder.makePair(fault: fault)
      try inbound.pipeline.syncOperations.addHandler(inboundForwarder)
      try outbound.pipeline.syncOperations.addHandler(outboundForwarder)
      // A channel that closed before its forwarder was added would never tell the other one.
      guard inbound.isActive, outbound.isActive else {
        inbound.close(promise: nil)
        outbound.close(promise: nil)
        return
      }
      try inbound.syncOptions?.setOption(.autoRead, value: true)
      try outbound.syncOptions?.setOption(.autoRead, value: true)
    }.get()
  }

  /// Closes the channels when the connection's fault goes from blackhole to anything else, or
  /// when the task is cancelled (the proxy stops, or the channels closed on their own). Finds out
  /// the initiator once a change makes it matter.
  private func closeWhenBlackholeLifts(
    on channels: [any Channel], changes: AsyncStream<[String: Fault]>, initiallyBlackholed: Bool,
    initiator: Initiator, logger: Logger
  ) async {
    var blackholed = initiallyBlackholed
    for await snapshot in changes {
      if !initiator.isKnown && FaultTable.dependsOnInitiator(snapshot, target: pod) {
        initiator.found(await identifyInitiator())
      }
      if FaultTable.fault(in: snapshot, target: pod, initiator: initiator.name) == .blackhole {
        blackholed = true
      } else if blackholed {
        logger.debug("closing peer connection: its blackhole was lifted")
        break
      }
    }
    for channel in channels { channel.close(promise: nil) }
  }
}

/// The pod that initiated a proxied connection, once identified.
///
/// Identifying reads /proc; a proxy accepts many connections (while a member is down its peers
/// redial it several times a second), and on a busy machine reading the socket tables for each
/// of them cost more than a core and fell behind, leaving accepted connections unserved. So a
/// connection is identified only while some other pod has a fault, at accept or at the change
/// that sets the fault; until then it has no initiator's fault, which is right: there is none.
final class Initiator: Sendable {
  private let state = Mutex<String??>(nil)

  /// Whether the connection was identified (its initiator may still be unknown: `name` nil).
  var isKnown: Bool { state.withLock { $0 != nil } }
  /// The initiating pod, `nil` while not identified or when no pod owns the connection.
  var name: String? { state.withLock { $0 ?? nil } }

  func found(_ name: String?) { state.withLock { $0 = .some(name) } }
}
