/// Facts about etcd releases the engine's rules depend on.
public enum EtcdRelease {
  /// The numbers of a version such as `3.5.1` or `v3.6.0-rc.1` (major, minor, patch).
  public static func numbers(_ version: String) -> (major: Int, minor: Int, patch: Int)? {
    let trimmed = version.hasPrefix("v") ? version.dropFirst() : Substring(version)
    let parts = trimmed.split(separator: ".").map { Int($0.prefix { $0.isNumber }) }
    guard parts.count >= 3, let major = parts[0], let minor = parts[1], let patch = parts[2] else { return nil }
    return (major, minor, patch)
  }

  /// Whether `--force-new-cluster` keeps the entries the backend already applied beyond the WAL's
  /// commit index: etcd takes the larger of the two since 3.5.22 and 3.6.1 (etcd issue 14009);
  /// before, it drops them from the log while the backend keeps them.
  public static func keepsAppliedEntriesWhenForced(_ version: String?) -> Bool {
    guard let version, let v = numbers(version) else { return false }
    if v.major != 3 { return v.major > 3 }
    switch v.minor {
    case ..<5: return false
    case 5: return v.patch >= 22
    case 6: return v.patch >= 1
    default: return true
    }
  }
}

extension EtcdRelease {
  /// etcd's data-corruption checks for `version`, on as etcd's maintainers recommend: the check
  /// at start, before serving clients or peers (every supported release), and the compact-hash
  /// check after each compaction (3.5.5 and newer). 3.6 names both as feature gates. For an
  /// unknown version, the flag every supported release has.
  public static func corruptionCheckFlags(_ version: String?) -> [String] {
    guard let version, let v = numbers(version), v.major == 3 else {
      return ["--experimental-initial-corrupt-check=true"]
    }
    switch v.minor {
    case ..<5: return ["--experimental-initial-corrupt-check=true"]
    case 5:
      return ["--experimental-initial-corrupt-check=true"]
        + (v.patch >= 5 ? ["--experimental-compact-hash-check-enabled=true"] : [])
    default: return ["--feature-gates=InitialCorruptCheck=true,CompactHashCheck=true"]
    }
  }
}
