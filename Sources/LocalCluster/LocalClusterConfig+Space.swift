import Pilot

extension LocalClusterConfig {
  /// The compaction every local cluster has unless told otherwise: etcd keeps an hour of history.
  public static let defaultCompaction = "periodic:1h"

  /// `up --compaction`: `MODE:RETENTION` (periodic:1h, revision:10000) or `off`, checked.
  public static func compaction(parsing text: String) throws(LocalClusterError) -> SpaceSettings.Compaction? {
    if text == "off" { return nil }
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, let mode = SpaceSettings.Compaction.Mode(rawValue: parts[0]),
      SpaceSettings.Compaction.isRetention(parts[1], for: mode)
    else {
      throw LocalClusterError(
        "--compaction '\(text)' is not MODE:RETENTION: give periodic:DURATION (periodic:1h), revision:COUNT (revision:10000) or off"
      )
    }
    return SpaceSettings.Compaction(mode: mode, retention: parts[1])
  }

  /// The pods' `etcd-pilot member` flags for etcd's space: the quota if given, compaction and
  /// corruption checks on by default — the defaults stand aside where the etcd flags passed
  /// through (`up -- FLAGS`) set the same thing.
  var spaceArguments: [String] {
    let given = SpaceSettings.flagNames(in: etcdArguments)
    var arguments: [String] = []
    if let quota { arguments += ["--quota-backend-bytes", quota] }
    let compactionGiven = given.contains("auto-compaction-mode") || given.contains("auto-compaction-retention")
    if compaction != nil || !compactionGiven,
      let chosen = try? Self.compaction(parsing: compaction ?? Self.defaultCompaction)
    {
      arguments += ["--auto-compaction-mode", chosen.mode.rawValue, "--auto-compaction-retention", chosen.retention]
    }
    let checksGiven = !given.isDisjoint(with: SpaceSettings.corruptionCheckFlagNames)
    if corruptionChecks ?? !checksGiven { arguments.append("--corruption-checks") }
    return arguments
  }
}
