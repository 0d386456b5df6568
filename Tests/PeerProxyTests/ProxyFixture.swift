import NIOCore
import PeerProxy

/// Runs `body` with a ``PeerProxy`` for `pod` listening on `host` (a free port) in front of
/// `target`; stops the proxy, and so every connection through it, when `body` returns.
func withProxy<Result: Sendable>(
  pod: String, host: String, target: SocketAddress, faults: FaultTable,
  identify: @escaping PeerProxy.Identify = { _ in nil },
  _ body: @Sendable (PeerProxy) async throws -> Result
) async throws -> Result {
  let proxy = try await PeerProxy.bind(
    pod: pod, listen: try SocketAddress(ipAddress: host, port: 0), target: target, faults: faults,
    identify: identify
  )
  return try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await proxy.run() }
    defer { group.cancelAll() }
    return try await body(proxy)
  }
}

/// FNV-1a, 64 bits: enough to compare two large transfers without printing them.
func checksum(_ bytes: [UInt8]) -> UInt64 {
  bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}

/// `count` pseudo-random bytes (xorshift64*), cheap enough for megabytes in a debug build.
func pseudoRandomBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
  var state = seed
  return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
    var index = 0
    while index < count {
      state ^= state >> 12
      state ^= state << 25
      state ^= state >> 27
      var word = state &* 0x2545_F491_4F6C_DD1D
      for _ in 0..<min(8, count - index) {
        buffer[index] = UInt8(truncatingIfNeeded: word)
        word >>= 8
        index += 1
      }
    }
    initialized = count
  }
}
