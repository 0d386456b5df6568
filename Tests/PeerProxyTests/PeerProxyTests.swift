import NIOCore
import PeerProxy
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
}
