import Testing

/// The space policy the chart renders: etcd's quota follows the volume (never above 8 GiB) unless
/// `quota` is given, etcd compacts its own history, and its corruption checks are on.
@Suite("Chart: space and maintenance")
struct ChartSpaceTests {
  static func args(_ values: [String]) async throws -> [String] {
    try await ChartTools.render(values).container["args"].strings
  }

  @Test(
    "the quota follows storage: (storage - 384Mi) / 2, at most 8Gi",
    arguments: [
      ("1Gi", 335_544_320 as Int64), ("416Mi", 16 << 20), ("8Gi", 3904 << 20), ("20Gi", 8 << 30),
      ("1000M", 298_673_408),
    ])
  func quotaFollowsStorage(storage: String, quota: Int64) async throws {
    let args = try await Self.args(["--set", "storage=\(storage)"])
    #expect(args.filter { $0.hasPrefix("--quota-backend-bytes=") } == ["--quota-backend-bytes=\(quota)"])
  }

  @Test("a quota given is etcd's, in bytes, when the volume holds it; the old storage alias counts")
  func quotaGiven() async throws {
    #expect(try await Self.args(["--set", "quota=300Mi"]).contains("--quota-backend-bytes=314572800"))
    #expect(
      try await Self.args(["--set", "quota=1G", "--set", "storage=3Gi"]).contains("--quota-backend-bytes=1000000000"))
    let alias = try await Self.args(["--set", "persistentVolume.storage=8Gi"])
    #expect(alias.contains("--quota-backend-bytes=\(3904 << 20)"), "\(alias)")
  }

  @Test(
    "compaction: periodic 1h by default, revision by count, off with an empty mode; corruption checks on unless off")
  func compactionAndChecks() async throws {
    let defaults = try await Self.args([])
    #expect(defaults.contains("--auto-compaction-mode=periodic") && defaults.contains("--auto-compaction-retention=1h"))
    #expect(defaults.contains("--corruption-checks"))
    let revision = try await Self.args(["--set", "compaction.mode=revision", "--set", "compaction.retention=10000"])
    #expect(
      revision.contains("--auto-compaction-mode=revision") && revision.contains("--auto-compaction-retention=10000"))
    let off = try await Self.args(["--set", "compaction.mode=", "--set", "corruptionChecks=false"])
    #expect(!off.contains { $0.hasPrefix("--auto-compaction") || $0 == "--corruption-checks" }, "\(off)")
    #expect(off.contains { $0.hasPrefix("--quota-backend-bytes=") }, "the quota stays")
  }

  @Test("defragmentation: the rule's thresholds by default, those given in bytes and percentages, --no-defrag when off")
  func defragRule() async throws {
    let defaults = try await Self.args([])
    #expect(
      defaults.filter { $0.contains("defrag") } == [
        "--defrag-free-percent=50", "--defrag-min-free=67108864", "--defrag-quota-percent=80",
      ])
    let given = try await Self.args([
      "--set", "defrag.freePercent=30", "--set", "defrag.minFree=1Gi", "--set", "defrag.quotaPercent=90",
    ])
    #expect(
      given.filter { $0.contains("defrag") } == [
        "--defrag-free-percent=30", "--defrag-min-free=1073741824", "--defrag-quota-percent=90",
      ])
    let off = try await Self.args(["--set", "defrag.enabled=false"])
    #expect(off.filter { $0.contains("defrag") } == ["--no-defrag"])
    // A release from before the defrag values (`--reuse-values` keeps old values): the defaults.
    let old = try await Self.args(["--set-json", "defrag=null"])
    #expect(old.filter { $0.contains("defrag") }.count == 3, "\(old)")
  }
}
