import EtcdTestFixtures
import Foundation
import Testing

/// etcd flags in `extraArgs` (and the ETCD_* variables etcd reads as flags, in `extraEnv`) that
/// would take a member's identity, URLs or cluster state away from etcd-pilot, or re-form the
/// cluster on every start, are refused at render with the reason; every other flag passes.
@Suite("Chart: dangerous etcd flags", .serialized, .timeLimit(.minutes(10)))
struct ChartExtraArgsTests {
  struct Refused: Sendable, CustomTestStringConvertible {
    var flag: String
    var reason: String
    /// Refused only while the chart manages TLS.
    var tlsOnly = false
    var testDescription: String { flag }
  }

  static let refused: [Refused] = [
    .init(flag: "name", reason: "is set by etcd-pilot itself"),
    .init(flag: "data-dir", reason: "is set by etcd-pilot itself"),
    .init(flag: "wal-dir", reason: "reads the WAL in the data directory"),
    .init(flag: "listen-client-urls", reason: "is set by etcd-pilot itself"),
    .init(flag: "listen-client-http-urls", reason: "is set by etcd-pilot itself"),
    .init(flag: "listen-peer-urls", reason: "is set by etcd-pilot itself"),
    .init(flag: "advertise-client-urls", reason: "is set by etcd-pilot itself"),
    .init(flag: "initial-advertise-peer-urls", reason: "is set by etcd-pilot itself"),
    .init(flag: "initial-cluster", reason: "is set by etcd-pilot itself"),
    .init(flag: "initial-cluster-state", reason: "is set by etcd-pilot itself"),
    .init(flag: "initial-cluster-token", reason: "is set by etcd-pilot itself"),
    .init(flag: "force-new-cluster", reason: "every member would form a cluster of its own on every start"),
    .init(flag: "discovery", reason: "a discovery service would form another"),
    .init(flag: "discovery-srv", reason: "a discovery service would form another"),
    .init(flag: "discovery-token", reason: "a discovery service would form another"),
    .init(flag: "enable-v2", reason: "v2"),
    .init(flag: "config-file", reason: "replaces every flag etcd-pilot sets"),
    .init(flag: "logger", reason: "reads etcd's log"),
    .init(flag: "log-outputs", reason: "reads etcd's log"),
    .init(flag: "quota-backend-bytes", reason: "is set from the value quota"),
    .init(flag: "auto-compaction-mode", reason: "is set from the value compaction.mode"),
    .init(flag: "auto-compaction-retention", reason: "is set from the value compaction.retention"),
    .init(flag: "experimental-initial-corrupt-check", reason: "is set from the value corruptionChecks"),
    .init(flag: "experimental-compact-hash-check-enabled", reason: "is set from the value corruptionChecks"),
    .init(flag: "cert-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "key-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "trusted-ca-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "client-cert-auth", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "auto-tls", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "peer-cert-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "peer-key-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "peer-trusted-ca-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "peer-client-cert-auth", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "peer-auto-tls", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "client-cert-file", reason: "when tls.enabled is true", tlsOnly: true),
    .init(flag: "peer-client-key-file", reason: "when tls.enabled is true", tlsOnly: true),
  ]

  static func json(_ strings: [String]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: strings), as: UTF8.self)
  }

  /// The refusal line for `extraArgs`, or why there is none.
  static func refusal(_ args: [String], tlsOff: Bool = false) async throws -> String {
    let result = try await ChartTools.renderFailure(
      (tlsOff ? ChartValueSets.tlsOff : []) + ["--set-json", "extraArgs=\(json(args))"])
    guard result.exitCode != 0 else { return "accepted: \(args)" }
    return result.output.split(separator: "\n").first { $0.contains("extraArgs:") }.map(String.init) ?? result.output
  }

  @Test("refused with its reason and the fix", arguments: refused)
  func refusedFlag(_ flag: Refused) async throws {
    let line = try await Self.refusal(["--log-level=info", "--\(flag.flag)=x"])
    #expect(line.contains("extraArgs: --\(flag.flag)=x "), "\(line)")
    #expect(line.contains(flag.reason), "the reason is missing: \(line)")
    #expect(line.contains("remove it"), "the fix is missing: \(line)")
  }

  @Test(
    "refused in every form a user writes it: --flag=value, --flag value, -flag, --flag alone, one string with a space")
  func everyForm() async throws {
    for flag in ["force-new-cluster", "name", "discovery-srv", "peer-cert-file"] {
      for args in [
        ["--\(flag)=x"], ["--\(flag)", "x"], ["-\(flag)=x"], ["-\(flag)", "x"], ["--\(flag)"], [" --\(flag) x"],
      ] {
        let line = try await Self.refusal(args)
        let shown = args[0].trimmingCharacters(in: .whitespaces).split(separator: " ")[0]
        #expect(line.contains("extraArgs: \(shown)") && line.contains("remove it"), "\(args): \(line)")
      }
    }
  }

  @Test("ETCD_* variables in extraEnv are etcd's flags: the same refusal")
  func refusedVariables() async throws {
    for flag in Self.refused.filter({
      ["force-new-cluster", "initial-cluster-state", "discovery-srv", "wal-dir", "peer-auto-tls"].contains($0.flag)
    }) {
      let variable = "ETCD_" + flag.flag.uppercased().replacingOccurrences(of: "-", with: "_")
      let result = try await ChartTools.renderFailure([
        "--set-json", #"extraEnv=[{"name":"GOMAXPROCS","value":"2"},{"name":"\#(variable)","value":"1"}]"#,
      ])
      #expect(result.exitCode != 0, "accepted: extraEnv \(variable)")
      #expect(result.output.contains("extraEnv: \(variable) is etcd's --\(flag.flag) "), "\(result.output)")
      #expect(result.output.contains(flag.reason) && result.output.contains("remove it"), "\(result.output)")
    }
  }

  @Test("without managed TLS the TLS flags are the user's")
  func tlsFlagsWithoutManagedTLS() async throws {
    let flags = Self.refused.filter(\.tlsOnly).map { "--\($0.flag)=x" }
    let plain = try await ChartTools.render(ChartValueSets.tlsOff + ["--set-json", "extraArgs=\(Self.json(flags))"])
    #expect(try plain.container["args"].strings.suffix(flags.count + 1) == ["--"] + flags)
    // The other refusals hold with TLS off too.
    #expect(try await Self.refusal(["--force-new-cluster"], tlsOff: true).contains("remove it"))
  }

  @Test("every other flag reaches etcd after --, in order, in both forms")
  func otherFlagsPass() async throws {
    let flags = [
      "--heartbeat-interval=200", "--election-timeout", "2000", "--log-level=debug",
      "--listen-metrics-urls=http://0.0.0.0:2381", "--snapshot-count=10000",
      "--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ]
    let rendered = try await ChartTools.render(["--set-json", "extraArgs=\(Self.json(flags))"])
    #expect(try rendered.container["args"].strings.suffix(flags.count + 1) == ["--"] + flags)
    let env = try await ChartTools.render([
      "--set-json", #"extraEnv=[{"name":"ETCD_LOG_LEVEL","value":"debug"},{"name":"ETCD_PILOT_DEBUG","value":"1"}]"#,
    ])
    #expect(try env.container["env"].env("ETCD_LOG_LEVEL")["value"].string == "debug")
  }
}
