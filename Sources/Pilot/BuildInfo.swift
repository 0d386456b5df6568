import BuildCommit

/// What this build of etcd-pilot is: the release, the git commit it was built from, and the etcd
/// servers it supports. `etcd-pilot --version` prints `versionLine`; the pilot logs it at start.
public enum BuildInfo {
  /// The release: the chart's `version`, the image tags' `-pilot<release>`, the newest section
  /// of CHANGELOG.md. The release workflow refuses a tag `v<x>` unless this is `<x>`.
  public static let release = "0.3.0"

  /// The git commit of the sources (the BuildCommit module, written by the BuildInfo plugin): a
  /// full hash, with `-dirty` when tracked files differed from it, `ETCD_PILOT_COMMIT` when the
  /// build was given one, or `unknown` outside a git checkout.
  public static let commit = BuildCommit.buildCommit

  /// The etcd minor releases the pilot runs.
  public static let supportedEtcd = ["3.4", "3.5", "3.6"]

  /// The etcd releases the test suite runs against; 3.6 is supported by design (its rules are
  /// engine-tested), not run here.
  public static let testedEtcd = ["3.4.23", "3.5.1"]

  /// One line for `--version` and the start log, e.g. `etcd-pilot 0.3.0, commit 1f2e…; runs etcd
  /// 3.4, 3.5, 3.6 (tested with 3.4.23, 3.5.1; 3.6 supported by design, its rules engine-tested)`.
  public static var versionLine: String {
    let untested = supportedEtcd.filter { minor in !testedEtcd.contains { $0.hasPrefix(minor + ".") } }
    let byDesign =
      untested.isEmpty ? "" : "; \(untested.joined(separator: ", ")) supported by design, its rules engine-tested"
    return "etcd-pilot \(release), commit \(commit); runs etcd \(supportedEtcd.joined(separator: ", ")) "
      + "(tested with \(testedEtcd.joined(separator: ", "))\(byDesign))"
  }
}
