import NIOCore
import Testing

@testable import PeerProxy

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite(.timeLimit(.minutes(1)))
struct SocketOwnerTests {
  @Test func findsThisProcessAsOwnerOfItsSocket() async throws {
    try await withTestServer(host: "127.0.123.20") { server in
      let client = try await TestClient.connect(to: server)
      let local = try #require(client.channel.localAddress)
      #expect(SocketOwner.pid(of: local, among: [1, getpid()]) == getpid())
      #expect(SocketOwner.pid(of: local, among: []) == nil)
      // Through the process tree: this process descends from PID 1.
      #expect(SocketOwner.owner(of: local, among: ["etcd-9": 1]) == "etcd-9")
      await client.close()
    }
  }

  @Test func bogusAddressHasNoOwner() throws {
    let bogus = try SocketAddress(ipAddress: "127.0.123.254", port: 9)
    #expect(SocketOwner.pid(of: bogus, among: [getpid()]) == nil)
    #expect(SocketOwner.owner(of: bogus, among: ["etcd-0": 1]) == nil)
  }

  @Test func processTreeHoldsDescendants() {
    #expect(SocketOwner.processTree(of: getpid()).first == getpid())
    #expect(SocketOwner.processTree(of: 1).contains(getpid()))
  }

  @Test func parentPIDSurvivesOddCommandNames() {
    #expect(SocketOwner.parentPID(fromStat: "1234 (a (b) c)) S 42 1234 1234 0 -1") == 42)
    #expect(SocketOwner.parentPID(fromStat: "garbage") == nil)
  }

  #if _endian(little)
  @Test func findsOnlyTheLinesOfTheWantedLocalAddress() {
    let rest = "00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0"
    let table =
      [
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
        "   0: 0100007F:3039 \(rest) 111 1 0000000000000000 100 0 0 10 0",
        "   1: 0100007F:3038 \(rest) 222 1 0000000000000000 100 0 0 10 0",
        "   2: 0200007F:3039 \(rest) 333 1 0000000000000000 100 0 0 10 0",
        "   3: 0100007F:3039 0100007F:9999 06 00000000:00000000 03:00000F2A 00000000     0        0 0 3 0000000000000000",
        "  12: 0100007F:3039 \(rest) 444 1 0000000000000000 100 0 0 10 0",
        "   5: 0100007F:30391 \(rest) 555 1 0000000000000000 100 0 0 10 0",
      ].joined(separator: "\n") + "\n"
    let local = TCPSocketTableEntry.text(of: [127, 0, 0, 1], port: 12345)
    #expect(String(decoding: local, as: UTF8.self) == "0100007F:3039")
    // Not another port, not another address, not a socket in TIME_WAIT (inode 0).
    #expect(SocketOwner.inodes(in: Array(table.utf8), local: local) == [111, 444])
    #expect(SocketOwner.inodes(in: [], local: local) == [])
    let mapped = TCPSocketTableEntry.text(of: [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1], port: 80)
    #expect(String(decoding: mapped, as: UTF8.self) == "0000000000000000FFFF00000100007F:0050")
  }

  @Test func parsesProcNetTCPLines() throws {
    let v4 = try #require(
      TCPSocketTableEntry(
        line:
          "   0: 0100007F:3039 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0"
      ))
    #expect(
      v4 == TCPSocketTableEntry(localAddress: [127, 0, 0, 1], localPort: 12345, inode: 123456))
    let v6 = try #require(
      TCPSocketTableEntry(
        line:
          "   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0"
      ))
    #expect(v6.localAddress == [UInt8](repeating: 0, count: 15) + [1])
    #expect(v6.localPort == 80)
    #expect(
      TCPSocketTableEntry(
        line:
          "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
      ) == nil)
  }
  #endif
}
