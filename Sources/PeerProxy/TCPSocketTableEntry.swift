/// One line of /proc/net/tcp or /proc/net/tcp6: a TCP socket's local address and its inode.
struct TCPSocketTableEntry: Equatable {
  /// The local address in network byte order: 4 bytes (tcp) or 16 bytes (tcp6).
  var localAddress: [UInt8]
  var localPort: Int
  /// 0 for sockets that no longer belong to a file (e.g. in TIME_WAIT).
  var inode: UInt64

  /// Parses a data line; `nil` for the header or anything malformed. A line reads e.g.
  /// `0: 0100007F:3039 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12345 ...`:
  /// fields are slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode.
  init?(line: Substring) {
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count > 9, fields[0].hasSuffix(":") else { return nil }
    let local = fields[1].split(separator: ":")
    guard local.count == 2, let address = Self.decodeAddress(local[0]),
      let port = Int(local[1], radix: 16), let inode = UInt64(fields[9])
    else { return nil }
    self.localAddress = address
    self.localPort = port
    self.inode = inode
  }

  init(localAddress: [UInt8], localPort: Int, inode: UInt64) {
    self.localAddress = localAddress
    self.localPort = localPort
    self.inode = inode
  }

  /// The kernel prints an address as 32-bit words, each the in-memory (network order) word read
  /// as a host-order integer: "0100007F" is 127.0.0.1 on a little-endian machine. Storing each
  /// parsed word back in host order gives the network-order bytes again, on any endianness.
  static func decodeAddress(_ hex: Substring) -> [UInt8]? {
    guard hex.count == 8 || hex.count == 32 else { return nil }
    var bytes: [UInt8] = []
    var rest = hex[...]
    while !rest.isEmpty {
      guard let word = UInt32(rest.prefix(8), radix: 16) else { return nil }
      withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
      rest = rest.dropFirst(8)
    }
    return bytes
  }

  /// The kernel's text of a local address field, e.g. "0100007F:3039" for 127.0.0.1:12345 on a
  /// little-endian machine: each 32-bit word of the network-order address printed as a host-order
  /// integer (the inverse of ``decodeAddress(_:)``), then the port, upper-case hex.
  static func text(of address: [UInt8], port: Int) -> [UInt8] {
    var text = ""
    var rest = address[...]
    while rest.count >= 4 {
      let word = rest.prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
      text += hex(UInt64(word), digits: 8)
      rest = rest.dropFirst(4)
    }
    return Array((text + ":" + hex(UInt64(port), digits: 4)).utf8)
  }

  private static func hex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
  }
}
