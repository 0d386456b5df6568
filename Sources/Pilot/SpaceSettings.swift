import Membership

/// How etcd keeps its space, as the pilot was told (`etcd-pilot member --quota-backend-bytes
/// --auto-compaction-mode --auto-compaction-retention --corruption-checks`; the chart's `quota`,
/// `compaction` and `corruptionChecks`): etcd's own mechanisms, turned on with its own flags.
public struct SpaceSettings: Sendable, Hashable {
  /// etcd's backend quota (`--quota-backend-bytes`); `nil` leaves etcd's default (2 GiB).
  public var quotaBytes: Int64?
  /// etcd's auto-compaction (`--auto-compaction-mode`, `--auto-compaction-retention`); `nil`
  /// leaves it off, as etcd does.
  public var compaction: Compaction?
  /// etcd's data-corruption checks (``EtcdRelease/corruptionCheckFlags(_:)``).
  public var corruptionChecks: Bool

  public struct Compaction: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
      case periodic, revision
    }
    public var mode: Mode
    /// etcd's retention: a duration for `periodic` (`1h`, `30m`), a revision count for `revision`.
    public var retention: String

    public init(mode: Mode, retention: String) {
      self.mode = mode
      self.retention = retention
    }

    /// Whether etcd takes `text` as a retention for `mode`: a Go duration (`1h`, `1h30m`, or a
    /// bare number of hours) for periodic, a revision count for revision; never 0 (that is off).
    public static func isRetention(_ text: String, for mode: Mode) -> Bool {
      guard !text.isEmpty, text.contains(where: { $0 != "0" && $0 != "." && !$0.isLetter }) else { return false }
      switch mode {
      case .revision:
        return text.allSatisfy(\.isNumber)
      case .periodic:
        if text.allSatisfy(\.isNumber) { return true }
        var rest = Substring(text)
        while !rest.isEmpty {
          let number = rest.prefix { $0.isNumber || $0 == "." }
          guard !number.isEmpty, Double(number) != nil else { return false }
          rest = rest.dropFirst(number.count)
          guard let unit = ["ns", "us", "ms", "h", "m", "s"].first(where: { rest.hasPrefix($0) }) else { return false }
          rest = rest.dropFirst(unit.count)
        }
        return true
      }
    }
  }

  public init(quotaBytes: Int64? = nil, compaction: Compaction? = nil, corruptionChecks: Bool = false) {
    self.quotaBytes = quotaBytes
    self.compaction = compaction
    self.corruptionChecks = corruptionChecks
  }

  /// The etcd flags these settings give etcd `version`.
  public func etcdFlags(version: String?) -> [String] {
    var flags: [String] = []
    if let quotaBytes { flags.append("--quota-backend-bytes=\(quotaBytes)") }
    if let compaction {
      flags += [
        "--auto-compaction-mode=\(compaction.mode.rawValue)", "--auto-compaction-retention=\(compaction.retention)",
      ]
    }
    if corruptionChecks { flags += EtcdRelease.corruptionCheckFlags(version) }
    return flags
  }

  /// The first etcd flag among `arguments` (passed through to etcd) that these settings set
  /// too, as one line saying which setting to keep.
  public func conflict(with arguments: [String], version: String?) -> String? {
    let own = Set(etcdFlags(version: version).map(Self.name(of:)))
    for argument in arguments where argument.hasPrefix("-") {
      let name = Self.name(of: argument)
      guard own.contains(name) else { continue }
      return
        "etcd flag --\(name) is given twice: etcd-pilot sets it from \(Self.setting(of: name)), and the flags passed to etcd set it again; keep one"
    }
    return nil
  }

  /// The quota a `--quota-backend-bytes` among `arguments` (passed through to etcd) sets.
  public static func quota(in arguments: [String]) -> Int64? {
    for (index, argument) in arguments.enumerated() where name(of: argument) == "quota-backend-bytes" {
      if let equals = argument.firstIndex(of: "=") { return Int64(argument[argument.index(after: equals)...]) }
      return index + 1 < arguments.count ? Int64(arguments[index + 1]) : nil
    }
    return nil
  }

  /// The names of the flags among `arguments` (`--quota-backend-bytes=1` → `quota-backend-bytes`).
  public static func flagNames(in arguments: [String]) -> Set<String> {
    Set(arguments.filter { $0.hasPrefix("-") }.map(name(of:)))
  }

  /// Every flag name a corruption check is turned on with, in any supported etcd release.
  public static let corruptionCheckFlagNames: Set<String> = [
    "experimental-initial-corrupt-check", "experimental-compact-hash-check-enabled", "feature-gates",
  ]

  static func name(of argument: String) -> String { EtcdFlagPolicy.flagName(of: argument) }

  static func setting(of flag: String) -> String {
    switch flag {
    case "quota-backend-bytes": "--quota-backend-bytes (the chart's quota)"
    case "auto-compaction-mode", "auto-compaction-retention": "--auto-compaction-* (the chart's compaction)"
    default: "--corruption-checks (the chart's corruptionChecks)"
    }
  }
}
