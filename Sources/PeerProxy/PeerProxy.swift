import Logging
import NIOCore
import NIOPosix

/// A fault-injecting TCP proxy in front of one etcd member's peer port.
///
/// The member's etcd listens for peers on `target` (e.g. `127.0.10.1:12380`); the proxy listens
/// on the advertised peer address `listen` (e.g. `127.0.10.1:2380`) and forwards every accepted
/// connection to `target`, bytes both ways, with backpressure. Each connection suffers the
/// faults, in the shared ``FaultTable``, of this proxy's pod and of the pod that initiated it
/// (found by `identify`, only while another pod has a fault); changes apply to open connections
/// at once (an initiator's, once its connection is identified: milliseconds later).
///
/// Run one proxy per pod, all sharing one ``FaultTable``:
/// ```swift
/// let proxy = try await PeerProxy.bind(
///   pod: "etcd-0", listen: try SocketAddress(ipAddress: "127.0.10.1", port: 2380),
///   target: try SocketAddress(ipAddress: "127.0.10.1", port: 12380),
///   faults: faults,
///   identify: { address in SocketOwner.owner(of: address, among: pilotPIDsByPod()) })
/// group.addTask { try await proxy.run() }   // until the group is cancelled
/// faults.set(.blackhole, for: "etcd-0")
/// ```
public struct PeerProxy: Sendable {
  /// Names the pod that owns the remote end of an accepted connection, given its address, or
  /// `nil` when it is unknown (such an initiator has no fault of its own). See ``SocketOwner``.
  /// It may block (it runs on NIO's blocking pool) and is called only while a pod other than
  /// the proxy's own has a fault.
  public typealias Identify = @Sendable (SocketAddress) -> String?

  /// The pod whose peer port this proxy fronts.
  public let pod: String
  /// The address the proxy listens on (with the actual port when bound to port 0).
  public let listenAddress: SocketAddress
  /// Where connections are forwarded: the pod's etcd peer listener.
  public let target: SocketAddress

  private let listener: NIOAsyncChannel<any Channel, Never>
  private let faults: FaultTable
  private let identify: Identify
  private let logger: Logger

  /// Starts listening on `listen`. Call ``run()`` to serve: only it closes the listener.
  public static func bind(
    pod: String,
    listen: SocketAddress,
    target: SocketAddress,
    faults: FaultTable,
    identify: @escaping Identify = { _ in nil },
    logger: Logger = Logger(label: "etcd-pilot.peer-proxy")
  ) async throws -> PeerProxy {
    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      // Nothing is read before the forwarders are in place (or the connection is blackholed).
      .childChannelOption(.autoRead, value: false)
      .childChannelOption(.allowRemoteHalfClosure, value: true)
      .bind(to: listen) { child in child.eventLoop.makeSucceededFuture(child) }
    var logger = logger
    logger[metadataKey: "pod"] = "\(pod)"
    return PeerProxy(
      pod: pod, listenAddress: listener.channel.localAddress ?? listen, target: target,
      listener: listener, faults: faults, identify: identify, logger: logger
    )
  }

  /// Binds like ``bind(pod:listen:target:faults:identify:logger:)``, then serves until the
  /// calling task is cancelled.
  public static func run(
    pod: String,
    listen: SocketAddress,
    target: SocketAddress,
    faults: FaultTable,
    identify: @escaping Identify = { _ in nil },
    logger: Logger = Logger(label: "etcd-pilot.peer-proxy")
  ) async throws {
    try await bind(
      pod: pod, listen: listen, target: target, faults: faults, identify: identify, logger: logger
    ).run()
  }

  private init(
    pod: String, listenAddress: SocketAddress, target: SocketAddress,
    listener: NIOAsyncChannel<any Channel, Never>, faults: FaultTable, identify: @escaping Identify,
    logger: Logger
  ) {
    self.pod = pod
    self.listenAddress = listenAddress
    self.target = target
    self.listener = listener
    self.faults = faults
    self.identify = identify
    self.logger = logger
  }

  /// Accepts and forwards connections until the calling task is cancelled; then closes the
  /// listener and every connection and returns normally. Call it once.
  public func run() async throws {
    logger.info("peer proxy listening on \(listenAddress), forwarding to \(target)")
    do {
      try await withTaskCancellationHandler {
        try await withThrowingDiscardingTaskGroup { group in
          try await listener.executeThenClose { connections in
            for try await connection in connections {
              let proxied = ProxiedConnection(
                inbound: connection, pod: pod, target: target, faults: faults, identify: identify,
                logger: logger
              )
              group.addTask { await proxied.serve() }
            }
          }
          // The listener is closed: so is every connection it accepted.
          group.cancelAll()
        }
      } onCancel: {
        listener.channel.close(promise: nil)
      }
    } catch  where Task.isCancelled {
      // Stopping is what cancellation asks for; the accept loop's CancellationError is no failure.
    }
    logger.info("peer proxy stopped")
  }
}
