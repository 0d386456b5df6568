import EtcdClient
import Foundation
import LocalCluster
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A local StatefulSet run through the real `etcd-pilot local` commands, on its own loopback
/// block and directory, for one test. Use ``withLocalCluster(replicas:version:arguments:_:)``:
/// the cluster is brought down and every process it started is gone when the body returns.
public final class LocalTestCluster: Sendable {
  public let version: EtcdVersion
  public let directory: String
  public let addressBase: String

  init(version: EtcdVersion, directory: String, addressBase: String) {
    self.version = version
    self.directory = directory
    self.addressBase = addressBase
  }

  public var layout: LocalClusterLayout { LocalClusterLayout(directory: directory) }

  /// Runs `etcd-pilot local <arguments> --dir <directory>`; throws with the output on failure.
  @discardableResult
  public func local(
    _ arguments: [String], expectFailure: Bool = false, timeout: Duration = .seconds(240)
  ) async throws -> String {
    // The cluster's options go before a `--` (after it come a command's own arguments).
    let options = ["--dir", directory, "--timeout", "\(timeout.components.seconds - 10)s"]
    let split = arguments.firstIndex(of: "--") ?? arguments.endIndex
    let result = try await ProcessOutput.runAsync(
      try PilotBinary.path, ["local"] + arguments[..<split] + options + arguments[split...], timeout: timeout)
    if (result.exitCode == 0) == expectFailure {
      throw FixtureError(
        "etcd-pilot local \(arguments.joined(separator: " ")) exited \(result.exitCode):\n\(result.output)\n\(diagnostics())"
      )
    }
    return result.output
  }

  public func scale(_ replicas: Int) async throws { try await local(["scale", "--replicas", String(replicas)]) }
  public func kill(_ ordinal: Int, signal: String = "KILL", hold: Double = 0, wait: Bool = true) async throws {
    try await local(
      ["kill", String(ordinal), "--signal", signal, "--hold", String(hold)] + (wait ? [] : ["--no-wait"]))
  }
  public func wipe(_ ordinal: Int) async throws { try await local(["wipe", String(ordinal)]) }
  public func partition(_ ordinal: Int) async throws { try await local(["partition", String(ordinal)]) }
  public func heal(_ ordinal: Int) async throws { try await local(["heal", String(ordinal)]) }

  /// The supervisor's control API, for steps that must not wait.
  public var control: LocalControlClient { get throws { try LocalControlClient(layout: layout) } }

  public func address(_ ordinal: Int) -> String { "\(addressBase).\(ordinal + 1)" }
  /// The client endpoint of pod `ordinal`: https when the cluster runs with TLS.
  public func endpoint(_ ordinal: Int) -> EtcdEndpoint {
    var endpoint = EtcdEndpoint(host: address(ordinal), port: 2379)
    if (try? layout.readConfig())?.tlsDirectory != nil { endpoint.scheme = .https }
    return endpoint
  }
  /// Client endpoints of ordinals 0…7, whichever exist.
  public var endpoints: [EtcdEndpoint] { (0..<8).map(endpoint) }

  public func withClient<R: Sendable>(
    endpoints: [EtcdEndpoint]? = nil, timeout: Duration = .seconds(5), _ body: (EtcdClient) async throws -> R
  ) async throws -> R {
    // The cluster's TLS files and root credentials, when it has them.
    try await withEtcdClient(
      try layout.readConfig().clientConfiguration(endpoints ?? self.endpoints, callTimeout: timeout),
      logger: Logger(label: "test"),
      body)
  }

  /// The linearizable member list.
  public func members() async throws -> [Member] {
    try await withClient { try await $0.memberList().members }
  }

  /// Member ID by pod name.
  public func memberIDs() async throws -> [String: UInt64] {
    Dictionary(try await members().map { ($0.name, $0.id) }, uniquingKeysWith: { $1 })
  }

  /// Throws unless the member list is exactly `<statefulSet>-0…(count-1)`, all started voters.
  public func expectMembers(_ count: Int, named statefulSet: String = "etcd") async throws {
    let members = try await members()
    let names = members.map(\.name).sorted()
    let expected = (0..<count).map { "\(statefulSet)-\($0)" }.sorted()
    guard names == expected, members.allSatisfy({ $0.isStarted && !$0.isLearner }) else {
      throw FixtureError(
        "member list is \(members.map { "\($0.name)\($0.isLearner ? "(learner)" : "")\($0.isStarted ? "" : "(unstarted)")" }), expected \(expected)"
      )
    }
  }

  /// The last lines of every pod's log and the supervisor's, for failure messages.
  public func diagnostics(lines: Int = 15) -> String {
    var text = ""
    let logs = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/logs")) ?? []
    for name in logs.sorted() {
      let content = String(
        decoding: FileManager.default.contents(atPath: "\(directory)/logs/\(name)") ?? Data(), as: UTF8.self)
      let pilotLines = content.split(separator: "\n").filter { $0.contains("etcd-pilot[") }.suffix(lines)
      text += "--- \(name) ---\n" + pilotLines.joined(separator: "\n") + "\n"
    }
    let supervisor = String(
      decoding: FileManager.default.contents(atPath: "\(directory)/supervisor.log") ?? Data(), as: UTF8.self)
    text += "--- supervisor ---\n" + supervisor.split(separator: "\n").suffix(lines).joined(separator: "\n")
    return text
  }

  /// Stops everything this cluster started: `local down`, then SIGKILL for whatever is left.
  func tearDown() async {
    _ = try? await ProcessOutput.runAsync(
      try PilotBinary.path, ["local", "down", "--dir", directory, "--timeout", "90s"], timeout: .seconds(100))
    for pid in Self.processes(mentioning: directory) { Glibc.kill(pid, SIGKILL) }
  }

  /// The process of pod `ordinal` (its pilot), as the supervisor reports it.
  public func pid(_ ordinal: Int) async throws -> Int32 {
    guard let pod = try await control.status().pods.first(where: { $0.ordinal == ordinal }), let pid = pod.pid else {
      throw FixtureError("pod \(ordinal) has no process")
    }
    return pid
  }

  /// The etcd process that pod `ordinal`'s pilot runs.
  public func etcdPID(_ ordinal: Int) async throws -> Int32 {
    let pilot = try await pid(ordinal)
    let etcd = Self.descendants(of: pilot).first { pid in
      pid != pilot
        && FileManager.default.contents(atPath: "/proc/\(pid)/comm").map { String(decoding: $0, as: UTF8.self) }
          == "etcd\n"
    }
    guard let etcd else { throw FixtureError("pod \(ordinal) runs no etcd") }
    return etcd
  }

  /// Stops pod `ordinal` dead, pilot and etcd (SIGSTOP): it neither answers nor exits.
  public func freeze(_ ordinal: Int) async throws -> [Int32] {
    let pids = Self.descendants(of: try await pid(ordinal))
    for pid in pids { Glibc.kill(pid, SIGSTOP) }
    return pids
  }

  /// Lets frozen processes run again (those that were killed meanwhile are gone).
  public static func thaw(_ pids: [Int32]) {
    for pid in pids { Glibc.kill(pid, SIGCONT) }
  }

  /// Hands raft leadership to pod `ordinal`'s member and waits until it leads.
  public func lead(_ ordinal: Int) async throws {
    let name = "\(try layout.readConfig().statefulSet)-\(ordinal)"
    guard let target = try await memberIDs()[name] else { throw FixtureError("\(name) is not a member") }
    _ = try await eventually("\(name) leads", timeout: .seconds(30)) { () async throws -> Bool? in
      try await withClient { etcd in
        if try await etcd.pinned(to: endpoint(ordinal)).status().isLeader { return true }
        try await etcd.moveLeader(to: target)
        return nil
      }
    }
  }

  /// Of two members, leaves etcd-0 holding an entry that etcd-1 wrote as leader beyond the
  /// commit index etcd-0 knows, and etcd-1 frozen — what a leader dying between committing an
  /// entry and telling its follower leaves behind. Built without luck: etcd-1 leads; etcd-0's
  /// etcd is frozen while etcd-1 sends it a write (never acknowledged); etcd-1 is frozen; etcd-0
  /// thaws and takes the entry from its socket. Returns etcd-1's frozen processes.
  public func strandWithAnotherLeadersEntry() async throws -> [Int32] {
    try await lead(1)
    let etcd0 = try await etcdPID(0)
    Glibc.kill(etcd0, SIGSTOP)
    _ = try? await withClient(endpoints: [endpoint(1)], timeout: .milliseconds(500)) {
      try await $0.put("in-flight", "x")
    }
    let frozen = try await freeze(1)
    Glibc.kill(etcd0, SIGCONT)
    return frozen
  }

  /// A process and all its descendants, from /proc.
  public static func descendants(of pid: Int32) -> [Int32] {
    var parents: [Int32: [Int32]] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let child = Int32(entry), let stat = FileManager.default.contents(atPath: "/proc/\(child)/stat") else {
        continue
      }
      let text = String(decoding: stat, as: UTF8.self)
      guard let close = text.lastIndex(of: ")") else { continue }
      let fields = text[text.index(after: close)...].split(separator: " ")
      if fields.count > 1, let parent = Int32(fields[1]) { parents[parent, default: []].append(child) }
    }
    var result = [pid]
    var index = 0
    while index < result.count {
      result += parents[result[index]] ?? []
      index += 1
    }
    return result
  }

  public static func commandLine(of pid: Int32) -> String {
    String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self)
      .replacingOccurrences(of: "\0", with: " ")
  }

  /// The real user ID of a process.
  public static func uid(of pid: Int32) -> Int? {
    let status = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/status") ?? Data(), as: UTF8.self)
    return status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first
      .flatMap { Int($0) }
  }

  public static func environment(of pid: Int32) -> [String: String] {
    let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
    var result: [String: String] = [:]
    for item in data.split(separator: 0) {
      let text = String(decoding: item, as: UTF8.self)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
    }
    return result
  }

  /// Processes whose command line mentions `text` (the cluster's directory).
  static func processes(mentioning text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
        return false
      }
      return String(decoding: data, as: UTF8.self).contains(text)
    }
  }
}

/// Runs `body` with a local cluster of `replicas` members that `etcd-pilot local up --detach`
/// brought up healthy; brings it down and removes its directory afterwards, also on failure.
public func withLocalCluster<R: Sendable>(
  replicas: Int, version: EtcdVersion, arguments: [String] = [], statefulSet: String = "etcd",
  addressBase: String? = nil,
  _ body: (LocalTestCluster) async throws -> R
) async throws -> R {
  try await withLocalClusterDirectory(version: version, addressBase: addressBase) { cluster in
    try await cluster.local(
      ["up", "--replicas", String(replicas), "--etcd", version.etcd, "--detach", "--address-base", cluster.addressBase]
        + arguments)
    return try await body(cluster)
  }
}

/// Runs `body` with a fresh directory and loopback block for a local cluster that `body` starts
/// itself (tests of `local up`); afterwards brings down whatever runs there, stops every process
/// that mentions the directory, and removes it, also on failure.
public func withLocalClusterDirectory<R: Sendable>(
  version: EtcdVersion, addressBase: String? = nil, _ body: (LocalTestCluster) async throws -> R
) async throws -> R {
  try version.requireInstalled()
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("etcd-pilot-test-local-\(UUID().uuidString.prefix(8))").path
  let cluster = LocalTestCluster(
    version: version, directory: directory, addressBase: try addressBase ?? Loopback.block())
  do {
    let result = try await body(cluster)
    await cluster.tearDown()
    try? FileManager.default.removeItem(atPath: directory)
    return result
  } catch {
    let diagnostics = cluster.diagnostics()
    await cluster.tearDown()
    try? FileManager.default.removeItem(atPath: directory)
    throw FixtureError("\(error)\n\(diagnostics)")
  }
}

extension LocalTestCluster {
  /// Processes whose command line names `text` (e.g. a cluster's volumes folder), other than
  /// this one, that have not exited.
  public static func runningProcesses(mentioning text: String) -> [Int32] {
    processes(mentioning: text).filter { pid in
      let stat = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/stat") ?? Data(), as: UTF8.self)
      guard let close = stat.lastIndex(of: ")") else { return false }
      let state = stat[stat.index(after: close)...].split(separator: " ").first
      return state != "Z" && state != "X"
    }
  }
}

/// Writes unique keys in the background and remembers each acknowledged one, to prove
/// afterwards that none was lost.
public final class AcknowledgedWriter: Sendable {
  private let acknowledged = LockedBox<[String: String]>([:])
  private let prefix: String

  public init(prefix: String = "ack/") { self.prefix = prefix }

  /// Writes until the calling task is cancelled; failures (indeterminate or refused) are simply
  /// not counted as acknowledged.
  public func run(using client: EtcdClient, pause: Duration = .milliseconds(20)) async {
    var index = 0
    while !Task.isCancelled {
      index += 1
      let key = "\(prefix)\(String(format: "%08d", index))"
      if (try? await client.put(key, "v\(index)")) != nil {
        acknowledged.update { $0[key] = "v\(index)" }
      }
      try? await Task.sleep(for: pause)
    }
  }

  public var count: Int { acknowledged.get().count }

  /// Keys acknowledged but now missing or different.
  public func lost(using client: EtcdClient) async throws -> [String] {
    let stored = try await client.get(.prefix(prefix))
    let values = Dictionary(stored.kvs.map { ($0.keyString, $0.valueString) }, uniquingKeysWith: { $1 })
    return acknowledged.get().filter { values[$0.key] != $0.value }.map(\.key).sorted()
  }
}

/// Like ``withLocalCluster(replicas:version:arguments:statefulSet:addressBase:_:)``, but `body`
/// runs while `etcd-pilot local up --detach` is still waiting for the cluster to converge: for
/// tests that act during the bootstrap. Once `body` returns, `up` must still succeed.
public func withStartingLocalCluster<R: Sendable>(
  replicas: Int, version: EtcdVersion, arguments: [String] = [], upTimeout: Duration = .seconds(240),
  _ body: @Sendable (LocalTestCluster) async throws -> R
) async throws -> R {
  try await withLocalClusterDirectory(version: version) { cluster in
    let up = Task {
      try await cluster.local(
        [
          "up", "--replicas", String(replicas), "--etcd", version.etcd, "--detach", "--address-base",
          cluster.addressBase,
        ]
          + arguments, timeout: upTimeout)
    }
    let result: R
    do {
      result = try await body(cluster)
    } catch {
      up.cancel()
      throw error
    }
    _ = try await up.value
    return result
  }
}

/// A raw TCP client on loopback, to send half a request the way a slow or hostile client would.
public struct RawTCPConnection: ~Copyable {
  public let descriptor: Int32

  public init(host: String = "127.0.0.1", port: Int) throws {
    descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
  }

  deinit { close(descriptor) }

  public func send(_ text: String) {
    _ = text.utf8CString.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
  }

  /// Everything the server sends until it closes the connection, or nil if it has not closed it
  /// within `limit`.
  public func readUntilClosed(limit: Duration) -> String? {
    var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
      let count = recv(descriptor, &buffer, buffer.count, 0)
      if count == 0 { return String(decoding: received, as: UTF8.self) }
      if count > 0 {
        received += buffer[..<count]
      } else if errno != EAGAIN && errno != EINTR {
        return String(decoding: received, as: UTF8.self)
      }
    }
    return nil
  }
}
