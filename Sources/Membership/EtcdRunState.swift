/// The state of this pilot's etcd child.
public enum EtcdRunState: Sendable, Hashable {
  /// Not started (yet, or again).
  case stopped
  /// Running; `serving` once it answers on its client URL; `memberID` once known.
  case running(serving: Bool, memberID: UInt64?, secondsUp: Double)
  /// It ended on its own.
  case exited(EtcdExit)
}

/// How etcd ended on its own, classified from its exit status and last log lines.
public enum EtcdExit: Sendable, Hashable {
  /// `the member has been permanently removed from the cluster`: its data is of no use now.
  case removed
  /// `member … has already been bootstrapped`: it was started `new` on an empty volume but the
  /// cluster formed long ago: the volume was lost.
  case alreadyBootstrapped
  /// Its data cannot be used (`tocommit(N) is out of range`, a corrupt WAL or db, `member count
  /// is unequal`).
  case corruptData(String)
  /// Its data belongs to another cluster (`request cluster ID mismatch` ending in a stop, or a
  /// token mismatch found by the pilot).
  case otherCluster(String)
  /// A crash with no known cause: restart it, like a kubelet would.
  case crashed(String)

  /// Classifies etcd's output lines (the last few hundred) and exit status.
  ///
  /// Data problems are read only from fatal and panic lines, never from warnings: a wrong
  /// "corrupt" verdict would replace a healthy member.
  public static func classify(lines: [String], exitCode: Int32?, signal: Int32?) -> EtcdExit {
    // Either message means this member applied its own removal; the engine still checks the
    // linearizable member list before it believes it.
    if lines.contains(where: {
      $0.contains("permanently removed from the cluster") || $0.contains("failed to find local ID in cluster members")
    }) {
      return .removed
    }
    var fatal: [String] = []
    var inPanic = false
    for line in lines {
      if line.hasPrefix("panic:") { inPanic = true }
      if inPanic || line.contains("\"level\":\"fatal\"") || line.contains("\"level\":\"panic\"") {
        fatal.append(line)
      }
    }
    let text = fatal.joined(separator: "\n")
    if text.contains("has already been bootstrapped") { return .alreadyBootstrapped }
    let corrupt = [
      "tocommit(", "is out of range [lastIndex", "crc mismatch", "member count is unequal",
      "failed to find database snapshot file", "failed to recover v3 backend", "failed to open WAL",
      "failed to read WAL", "wal: file not found", "invalid database", "database file", "unexpected EOF",
      "failed to open backend",
      // A damaged WAL record's length or contents, as etcd reports them while reading the WAL.
      "max entry size limit exceeded", "wal: snapshot mismatch", "wal: snapshot not found",
    ]
    // Go's own panics say nothing of where they happened: they count only when the stack they
    // print is in the WAL's, the snapshotter's or the backend's code.
    let generic = ["slice bounds out of range", "index out of range", "unexpected EOF"]
    let inStorage = ["/wal/", "/wal.", "wal.(*", "/snap/", "snap.(*", "bbolt", "/backend/", "backend.(*"].contains {
      text.contains($0)
    }
    if let marker = corrupt.first(where: { text.contains($0) })
      ?? (inStorage ? generic.first(where: { text.contains($0) }) : nil)
    {
      let line = fatal.first { $0.contains(marker) } ?? marker
      return .corruptData(Self.summary(of: line))
    }
    if text.contains("couldn't find local name") || text.contains("cluster ID mismatch") {
      let line = fatal.first { $0.contains("mismatch") || $0.contains("couldn't find") } ?? ""
      return .otherCluster(Self.summary(of: line))
    }
    let last = fatal.first ?? lines.last ?? ""
    let status = signal.map { "killed by signal \($0)" } ?? "exit status \(exitCode ?? -1)"
    return .crashed("\(status): \(Self.summary(of: last))")
  }

  /// The `msg` (and `error`) of a zap JSON line, or the line itself.
  static func summary(of line: String) -> String {
    func field(_ name: String) -> String? {
      guard let start = line.firstRange(of: "\"\(name)\":\"") else { return nil }
      let rest = line[start.upperBound...]
      guard let end = rest.firstIndex(of: "\"") else { return nil }
      return String(rest[..<end])
    }
    if let message = field("msg") {
      if let error = field("error") { return "\(message): \(error)" }
      return message
    }
    return String(line.prefix(300))
  }
}
