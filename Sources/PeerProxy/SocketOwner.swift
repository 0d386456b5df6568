import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds which process owns a local TCP socket, from Linux's /proc (no root needed for the
/// processes of the same user).
///
/// The peer proxy needs it because it sees only the remote address of an accepted connection,
/// and etcd dials its peers from 127.0.0.1, not from its pod's own address: the initiating pod
/// is the one whose processes hold the socket bound to that address.
///
/// Wiring for the local cluster's supervisor, which knows each pod's top process (the pilot,
/// whose child is etcd):
/// ```swift
/// identify: { address in
///   SocketOwner.owner(of: address, among: currentPilotPIDsByPod())  // [pod name: pilot PID]
/// }
/// ```
public enum SocketOwner {
  /// The process among `pids` that has an open file descriptor on the TCP socket whose local
  /// address is `address`, or `nil` (none of them, an address that is not a TCP socket of this
  /// machine, or not IPv4/IPv6).
  public static func pid(of address: SocketAddress, among pids: [Int32]) -> Int32? {
    let inodes = socketInodes(boundTo: address)
    guard !inodes.isEmpty else { return nil }
    return pids.first { holdsSocket(pid: $0, inodes: inodes) }
  }

  /// The key (e.g. a pod name) whose process tree — the root PID given and all its descendants —
  /// holds the TCP socket whose local address is `address`, or `nil`. The trees should not
  /// overlap (if they do, which matching key is returned is unspecified). One scan of /proc
  /// serves all the keys.
  public static func owner<Key>(of address: SocketAddress, among roots: [Key: Int32]) -> Key? {
    let inodes = socketInodes(boundTo: address)
    guard !inodes.isEmpty else { return nil }
    let children = childrenByParent()
    for (key, root) in roots {
      if processTree(of: root, children: children).contains(where: {
        holdsSocket(pid: $0, inodes: inodes)
      }) {
        return key
      }
    }
    return nil
  }

  /// `pid` and all its descendants (children, grandchildren, ...), `pid` first.
  public static func processTree(of pid: Int32) -> [Int32] {
    processTree(of: pid, children: childrenByParent())
  }

  // MARK: Internals

  /// The inodes of the TCP sockets (IPv4 or IPv6) whose local address and port are `address`.
  /// An IPv4 address also matches its IPv4-mapped form on a dual-stack IPv6 socket.
  static func socketInodes(boundTo address: SocketAddress) -> Set<UInt64> {
    guard let port = address.port, let ip = address.ipAddress else { return [] }
    let wanted: [[UInt8]]
    if let ipv4 = packedAddress(ip, family: AF_INET, size: 4) {
      wanted = [ipv4, [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + ipv4]
    } else if let ipv6 = packedAddress(ip, family: AF_INET6, size: 16) {
      wanted = [ipv6]
    } else {
      return []
    }
    var inodes = Set<UInt64>()
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
      guard let bytes = ProcFS.readBytes(table) else { continue }
      for local in wanted where local.count == (table.hasSuffix("6") ? 16 : 4) {
        inodes.formUnion(Self.inodes(in: bytes, local: TCPSocketTableEntry.text(of: local, port: port)))
      }
    }
    return inodes
  }

  /// The inodes (never 0: a socket in TIME_WAIT has none) of the lines of a /proc/net/tcp or
  /// tcp6 table whose local address field is `local`, the kernel's text of it. Only matching
  /// lines are decoded: the proxy asks for every connection accepted during a peer fault, and a
  /// busy machine's table holds thousands of lines.
  static func inodes(in table: [UInt8], local: [UInt8]) -> [UInt64] {
    let space = UInt8(ascii: " "), colon = UInt8(ascii: ":"), newline = UInt8(ascii: "\n")
    var found: [UInt64] = []
    var lineStart = table.startIndex
    while lineStart < table.endIndex {
      let lineEnd = table[lineStart...].firstIndex(of: newline) ?? table.endIndex
      defer { lineStart = lineEnd + 1 }
      // "  12: 0100007F:3039 ...": the slot, then the local address.
      guard let slotEnd = table[lineStart..<lineEnd].firstIndex(of: colon) else { continue }
      guard let fieldStart = table[(slotEnd + 1)..<lineEnd].firstIndex(where: { $0 != space }),
        lineEnd - fieldStart > local.count, table[fieldStart + local.count] == space,
        table[fieldStart..<(fieldStart + local.count)].elementsEqual(local),
        let entry = TCPSocketTableEntry(line: Substring(decoding: table[lineStart..<lineEnd], as: UTF8.self)),
        entry.inode != 0
      else { continue }
      found.append(entry.inode)
    }
    return found
  }

  /// An address in network byte order, e.g. [127, 0, 0, 1] for "127.0.0.1".
  private static func packedAddress(_ text: String, family: Int32, size: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: size)
    let parsed = bytes.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
    return parsed == 1 ? bytes : nil
  }

  static func holdsSocket(pid: Int32, inodes: Set<UInt64>) -> Bool {
    let fdDirectory = "/proc/\(pid)/fd"
    for fd in ProcFS.directoryEntries(fdDirectory) {
      guard let target = ProcFS.linkTarget("\(fdDirectory)/\(fd)"),
        target.hasPrefix("socket:["), target.hasSuffix("]"),
        let inode = UInt64(target.dropFirst("socket:[".count).dropLast())
      else { continue }
      if inodes.contains(inode) { return true }
    }
    return false
  }

  /// Every process's children, from the parent PID in `/proc/<pid>/stat` (which, unlike
  /// `/proc/<pid>/task/<tid>/children`, exists on every kernel).
  static func childrenByParent() -> [Int32: [Int32]] {
    var children: [Int32: [Int32]] = [:]
    for pid in ProcFS.processIDs() {
      guard let stat = ProcFS.readText("/proc/\(pid)/stat"), let parent = parentPID(fromStat: stat)
      else { continue }
      children[parent, default: []].append(pid)
    }
    return children
  }

  /// The 4th field of a stat line, `pid (comm) state ppid ...`; the command name may hold
  /// spaces and parentheses, so fields are counted from its last ')'.
  static func parentPID(fromStat stat: String) -> Int32? {
    guard let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
  }

  private static func processTree(of root: Int32, children: [Int32: [Int32]]) -> [Int32] {
    var tree = [root]
    var next = 0
    while next < tree.count {
      tree.append(contentsOf: children[tree[next]] ?? [])
      next += 1
    }
    return tree
  }
}
