import NIOCore
import PeerProxy
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The proxy end to end, on loopback: an echo server stands in for etcd's peer listener, the
/// test is the initiating peer. Each test uses its own address 127.0.123.x and free ports.
@Suite(.timeLimit(.minutes(1)))
struct PeerProxyTests {
  let ping = Array("ping".utf8)

  @Test func largeTransferArrivesUnchangedBothWays() async throws {
    let host = "127.0.123.1"
    let sent = pseudoRandomBytes(count: 8 << 20)
    try await withTestServer(host: host) { echo in
      try await withProxy(pod: "etcd-0", host: host, target: echo, faults: FaultTable()) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        try await client.send(sent)
        let received = await client.receive(count: sent.count, within: .seconds(30))
        #expect(received?.count == sent.count)
        #expect(received.map(checksum) == checksum(sent))
        await client.close()
      }
    }
  }

  @Test func delayOnTargetSlowsAnOpenConnection() async throws {
    let host = "127.0.123.2"
    let faults = FaultTable()
    try await withTestServer(host: host) { echo in
      try await withProxy(pod: "etcd-0", host: host, target: echo, faults: faults) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        #expect(try await client.roundTrip(ping, within: .seconds(5)) != nil)
        faults.set(.delay(.milliseconds(200)), for: "etcd-0")
        let rtt = try await client.roundTrip(ping, within: .seconds(5))
        // Both directions are delayed: at least 2 × 200 ms, with room for timer granularity.
        #expect(
          rtt.map { $0 >= .milliseconds(360) } == true, "round trip took \(String(describing: rtt))"
        )
        await client.close()
      }
    }
  }

  @Test func blackholeSilencesConnectionsAndHealClosesThem() async throws {
    let host = "127.0.123.3"
    let faults = FaultTable()
    try await withTestServer(host: host) { echo in
      try await withProxy(pod: "etcd-0", host: host, target: echo, faults: faults) { proxy in
        let open = try await TestClient.connect(to: proxy.listenAddress)
        #expect(try await open.roundTrip(ping, within: .seconds(5)) != nil)

        faults.set(.blackhole, for: "etcd-0")
        let accepted = try await TestClient.connect(to: proxy.listenAddress)  // accepted, silent
        try await open.send(ping)
        try await accepted.send(ping)
        #expect(await open.receive(count: ping.count, within: .seconds(1)) == nil)
        #expect(await accepted.receive(count: ping.count, within: .milliseconds(100)) == nil)
        #expect(await !open.isClosed(within: .zero))
        #expect(await !accepted.isClosed(within: .zero))

        faults.set(.none, for: "etcd-0")
        #expect(await open.isClosed(within: .seconds(5)))
        #expect(await accepted.isClosed(within: .seconds(5)))
        let fresh = try await TestClient.connect(to: proxy.listenAddress)
        #expect(try await fresh.roundTrip(ping, within: .seconds(5)) != nil)
        for client in [open, accepted, fresh] { await client.close() }
      }
    }
  }

  @Test func faultOfTheInitiatorApplies() async throws {
    let host = "127.0.123.4"
    let faults = FaultTable()
    faults.set(.delay(.milliseconds(200)), for: "etcd-1")
    try await withTestServer(host: host) { echo in
      try await withProxy(
        pod: "etcd-0", host: host, target: echo, faults: faults, identify: { _ in "etcd-1" }
      ) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        let rtt = try await client.roundTrip(ping, within: .seconds(5))
        #expect(
          rtt.map { $0 >= .milliseconds(360) } == true, "round trip took \(String(describing: rtt))"
        )

        faults.set(.blackhole, for: "etcd-1")
        #expect(try await client.roundTrip(ping, within: .seconds(1)) == nil)
        await client.close()
      }
    }
  }

  /// Identifying reads /proc, so it waits until it matters: none while no other pod has a
  /// fault; once one does, an open connection is identified and its initiator's fault applies.
  @Test func initiatorIdentifiedOnlyOnceItMatters() async throws {
    let host = "127.0.123.13"
    let faults = FaultTable()
    faults.set(.delay(.milliseconds(1)), for: "etcd-0")
    let calls = Mutex(0)
    try await withTestServer(host: host) { echo in
      try await withProxy(
        pod: "etcd-0", host: host, target: echo, faults: faults,
        identify: { _ in
          calls.withLock { $0 += 1 }
          return "etcd-1"
        }
      ) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        #expect(try await client.roundTrip(ping, within: .seconds(5)) != nil)
        #expect(calls.withLock { $0 } == 0, "only the target's own fault is set")

        faults.set(.delay(.milliseconds(200)), for: "etcd-1")
        let deadline = ContinuousClock.now + .seconds(5)
        while calls.withLock({ $0 }) == 0 && ContinuousClock.now < deadline {
          try await Task.sleep(for: .milliseconds(10))
        }
        #expect(calls.withLock { $0 } == 1)
        let rtt = try await client.roundTrip(ping, within: .seconds(5))
        #expect(
          rtt.map { $0 >= .milliseconds(360) } == true, "round trip took \(String(describing: rtt))"
        )
        await client.close()
      }
    }
  }

  /// The wiring the local cluster uses: the initiator is the pod whose process tree holds the
  /// connecting socket — here this test process, as a descendant of PID 1.
  @Test func initiatorFoundThroughSocketOwner() async throws {
    let host = "127.0.123.5"
    let faults = FaultTable()
    faults.set(.delay(.milliseconds(200)), for: "etcd-1")
    let pods: [String: Int32] = ["etcd-1": 1]
    try await withTestServer(host: host) { echo in
      try await withProxy(
        pod: "etcd-0", host: host, target: echo, faults: faults,
        identify: { SocketOwner.owner(of: $0, among: pods) }
      ) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        let rtt = try await client.roundTrip(ping, within: .seconds(5))
        #expect(
          rtt.map { $0 >= .milliseconds(360) } == true, "round trip took \(String(describing: rtt))"
        )
        await client.close()
      }
    }
  }

  /// One proxy per pod, one table: a pod's fault reaches its own proxy's connections only
  /// (the initiator here is unknown, so it adds no fault of its own).
  @Test func proxiesSharingATableApplyEachPodsFault() async throws {
    let host = "127.0.123.11"
    let faults = FaultTable()
    try await withTestServer(host: host) { echo in
      try await withProxy(pod: "etcd-0", host: host, target: echo, faults: faults) { proxy0 in
        try await withProxy(pod: "etcd-1", host: host, target: echo, faults: faults) { proxy1 in
          let client0 = try await TestClient.connect(to: proxy0.listenAddress)
          let client1 = try await TestClient.connect(to: proxy1.listenAddress)
          faults.set(.blackhole, for: "etcd-1")
          #expect(try await client0.roundTrip(ping, within: .seconds(5)) != nil)
          #expect(try await client1.roundTrip(ping, within: .seconds(1)) == nil)
          await client0.close()
          await client1.close()
        }
      }
    }
  }

  @Test func dropHoldsChunksBackButKeepsOrder() async throws {
    let host = "127.0.123.6"
    let faults = FaultTable()
    faults.set(.drop(probability: 1), for: "etcd-0")
    let messages = (0..<5).map { Array("message \($0);".utf8) }
    try await withTestServer(host: host) { echo in
      try await withProxy(pod: "etcd-0", host: host, target: echo, faults: faults) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        let start = ContinuousClock.now
        for message in messages {
          try await client.send(message)
          try await Task.sleep(for: .milliseconds(20))
        }
        let all = messages.flatMap { $0 }
        #expect(await client.receive(count: all.count, within: .seconds(10)) == all)
        // Every chunk is held at least 200 ms each way.
        #expect(ContinuousClock.now - start >= .milliseconds(400))
        await client.close()
      }
    }
  }

  @Test func halfCloseIsForwardedAfterDelayedBytes() async throws {
    let host = "127.0.123.9"
    let faults = FaultTable()
    faults.set(.delay(.milliseconds(100)), for: "etcd-0")
    let sent = pseudoRandomBytes(count: 256 << 10)
    try await withTestServer(host: host, behavior: .countUntilEndOfInput) { server in
      try await withProxy(pod: "etcd-0", host: host, target: server, faults: faults) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        try await client.send(sent)
        try await client.closeOutput()
        let answer = Array("\(sent.count)\n".utf8)
        #expect(await client.receive(count: answer.count, within: .seconds(10)) == answer)
        #expect(await client.isClosed(within: .seconds(5)))
        await client.close()
      }
    }
  }

  /// No unbounded buffering: when the target stops reading, the proxy stops reading too, and
  /// the sender's data stays with the sender.
  @Test func receiverThatStopsReadingPausesTheSender() async throws {
    let host = "127.0.123.10"
    let sent = [UInt8](repeating: 7, count: 64 << 20)
    try await withTestServer(host: host, behavior: .neverRead) { server in
      try await withProxy(pod: "etcd-0", host: host, target: server, faults: FaultTable()) {
        proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        client.channel.writeAndFlush(ByteBuffer(bytes: sent), promise: nil)
        try await Task.sleep(for: .seconds(1))
        // What left the client fits in the sockets' kernel buffers and the proxy's bounded
        // queue (a few MiB each); the rest waits in the client.
        let waiting = try await client.bufferedBytes()
        #expect(waiting >= 32 << 20, "only \(waiting) bytes still wait in the client")
        await client.close()
      }
    }
  }

  @Test func unreachableTargetClosesTheConnection() async throws {
    let host = "127.0.123.7"
    // Nothing listens on the target: bind a port, then free it.
    let target = try await withTestServer(host: host) { $0 }
    try await withProxy(pod: "etcd-0", host: host, target: target, faults: FaultTable()) { proxy in
      let client = try await TestClient.connect(to: proxy.listenAddress)
      #expect(await client.isClosed(within: .seconds(5)))
      await client.close()
    }
  }

  @Test func stoppingTheProxyClosesItsConnections() async throws {
    let host = "127.0.123.8"
    try await withTestServer(host: host) { echo in
      let client = try await withProxy(
        pod: "etcd-0", host: host, target: echo, faults: FaultTable()
      ) { proxy in
        let client = try await TestClient.connect(to: proxy.listenAddress)
        #expect(try await client.roundTrip(ping, within: .seconds(5)) != nil)
        return client
      }
      #expect(await client.isClosed(within: .seconds(5)))
      await client.close()
    }
  }

  /// Identifying an initiator reads /proc and blocks its thread; meanwhile the rest of the
  /// process runs. Here every identification blocks, as many at once as there are cores: on
  /// Swift's cooperative pool (one thread per core) nothing else could run — not even this test,
  /// which would then see the gate give up before it saw the identifications waiting.
  @Test func identifyingBlocksNoOtherTask() async throws {
    let host = "127.0.123.12"
    let blocking = System.coreCount
    let gate = IdentifyGate(giveUpAfter: .seconds(20))
    // Another pod's fault: the initiator matters, so every connection is identified at accept.
    let faults = FaultTable()
    faults.set(.delay(.milliseconds(1)), for: "etcd-1")
    try await withTestServer(host: host) { echo in
      try await withProxy(
        pod: "etcd-0", host: host, target: echo, faults: faults,
        identify: { _ in gate.pass() }
      ) { proxy in
        var clients: [TestClient] = []
        for _ in 0..<blocking { clients.append(try await TestClient.connect(to: proxy.listenAddress)) }
        #expect(await gate.sawWaiting(blocking, within: .seconds(10)))
        gate.open()
        for client in clients {
          #expect(try await client.roundTrip(ping, within: .seconds(5)) != nil)
          await client.close()
        }
      }
    }
  }
}

/// Holds every identification until opened (or until it gives up, so that a test of code that
/// blocks wrongly still ends), counting those waiting.
private final class IdentifyGate: Sendable {
  private let state = Mutex((open: false, waiting: 0))
  private let giveUp: Duration

  init(giveUpAfter: Duration) { giveUp = giveUpAfter }

  /// Blocks the calling thread while the gate is closed; names no initiator.
  func pass() -> String? {
    let deadline = ContinuousClock.now + giveUp
    state.withLock { $0.waiting += 1 }
    while !state.withLock({ $0.open }) && ContinuousClock.now < deadline { usleep(1000) }
    state.withLock { $0.waiting -= 1 }
    return nil
  }

  func open() { state.withLock { $0.open = true } }

  /// Whether `count` identifications were seen waiting at once before `timeout`.
  func sawWaiting(_ count: Int, within timeout: Duration) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if state.withLock({ $0.waiting }) >= count { return true }
      try? await Task.sleep(for: .milliseconds(10))
    }
    return false
  }
}
