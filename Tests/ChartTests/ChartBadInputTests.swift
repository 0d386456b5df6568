import EtcdTestFixtures
import Foundation
import Testing

/// Values that make no sense fail at template (and so install) time with a message naming the
/// value; an even replica count is allowed and NOTES warns about it.
@Suite("Chart: bad input and NOTES", .serialized, .timeLimit(.minutes(10)))
struct ChartBadInputTests {
  struct BadInput: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var message: [String]
    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let cases: [BadInput] = [
    .init(arguments: ["--set", "replicas=-1"], message: ["/replicas", "minimum"]),
    .init(
      arguments: ["--set", "quota=2Gi"],
      message: [
        "quota 2Gi does not fit storage 1Gi", "2 x quota + 384Mi = 4480Mi", "raise storage to 4480Mi or lower quota",
      ]),
    .init(arguments: ["--set", "quota=8Mi"], message: ["quota 8Mi is below 16Mi"]),
    .init(arguments: ["--set", "quota=lots"], message: ["/quota"]),
    .init(
      arguments: ["--set", "storage=256Mi"],
      message: ["storage 256Mi is too small for etcd", "give storage 416Mi or more"]),
    .init(
      arguments: ["--set", "compaction.mode=revision"],
      message: ["compaction.retention \"1h\" is not a revision count for revision compaction"]),
    .init(arguments: ["--set", "compaction.retention=soon"], message: ["/compaction/retention"]),
    .init(arguments: ["--set", "compaction.mode=daily"], message: ["/compaction/mode"]),
    .init(arguments: ["--set", "corruptionChecks=maybe"], message: ["/corruptionChecks"]),
    .init(arguments: ["--set", "defrag.freePercent=half"], message: ["/defrag/freePercent", "want integer"]),
    .init(arguments: ["--set", "defrag.quotaPercent=150"], message: ["/defrag/quotaPercent", "maximum"]),
    .init(arguments: ["--set", "defrag.freePercent=0"], message: ["/defrag/freePercent", "minimum"]),
    .init(arguments: ["--set", "defrag.minFree=lots"], message: ["/defrag/minFree", "does not match pattern"]),
    .init(arguments: ["--set", "storage=lots"], message: ["/storage", "does not match pattern"]),
    .init(arguments: ["--set", "storage=1 GB"], message: ["/storage", "does not match pattern"]),
    .init(
      arguments: ["--set", "clientPort=2380"], message: ["clientPort and peerPorts are both 2380", "must differ"]),
    .init(arguments: ["--set", "pilotPort=2379"], message: ["clientPort and pilotPort are both 2379"]),
    .init(arguments: ["--set", "peerPorts=2390"], message: ["peerPorts and pilotPort are both 2390"]),
    .init(arguments: ["--set", "replicsa=5"], message: ["additional properties 'replicsa' not allowed"]),
    .init(arguments: ["--set", "image.tga=1"], message: ["/image", "additional properties 'tga' not allowed"]),
    .init(arguments: ["--set", "replicas=three"], message: ["/replicas", "got string, want integer"]),
    .init(arguments: ["--set-string", "clientPort=2379"], message: ["/clientPort", "got string, want integer"]),
    .init(arguments: ["--set", "clientPort=70000"], message: ["/clientPort", "maximum"]),
    .init(arguments: ["--set", "image.pullPolicy=Sometimes"], message: ["/image/pullPolicy"]),
    .init(arguments: ["--set", "podAntiAffinityPreset=medium"], message: ["/podAntiAffinityPreset"]),
    .init(
      arguments: [
        "--set", "tls.ca.existingSecret=my-ca", "--set", "tls.certManager.enabled=true", "--set",
        "tls.certManager.issuerRef.name=ca",
      ],
      message: ["tls.ca.existingSecret and tls.certManager.enabled", "set only one"]),
    .init(
      arguments: ["--set", "tls.enabled=false", "--set", "auth.enabled=true"],
      message: ["auth.enabled needs tls.enabled", "plain http"]),
    .init(
      arguments: ["--set", "tls.enabled=false", "--set", "auth.enabled=true", "--set", "auth.existingSecret=pw"],
      message: ["auth.enabled needs tls.enabled"]),
    .init(
      arguments: ["--set", "tls.certManager.enabled=true"], message: ["tls.certManager.issuerRef.name is required"]),
    .init(arguments: ["--set", "tls.validity=90days"], message: ["/tls/validity", "does not match pattern"]),
    .init(
      arguments: ["--set", "tls.certManager.renewBefore=soon"],
      message: ["/tls/certManager/renewBefore", "does not match pattern"]),
    .init(
      arguments: ["--set", "tls.ca.existingSecret=My_CA"],
      message: ["/tls/ca/existingSecret", "does not match pattern"]),
    .init(arguments: ["--set", "tls.extraSANs=etcd.example.com"], message: ["/tls/extraSANs", "want array"]),
    .init(arguments: ["--set", "tls.caSecret=x"], message: ["/tls", "additional properties 'caSecret' not allowed"]),
    .init(
      arguments: ["--set", "auth.password=x"], message: ["/auth", "additional properties 'password' not allowed"]),
    .init(arguments: ["--set", "auth.enabled=yes"], message: ["/auth/enabled", "want boolean"]),
    .init(
      arguments: ["--set-json", #"extraArgs=["--peer-cert-file=/x.crt"]"#],
      message: ["extraArgs: --peer-cert-file=/x.crt is set by etcd-pilot itself when tls.enabled is true"]),
    .init(
      arguments: ["--set-json", #"extraArgs=["--initial-cluster-state=new"]"#],
      message: ["--initial-cluster-state=new", "set by etcd-pilot itself"]),
    .init(
      arguments: ["--set-json", #"extraArgs=["--name","x"]"#],
      message: ["extraArgs: --name is set by etcd-pilot itself"]),
  ]

  @Test("bad values fail helm template with a clear message", arguments: cases)
  func badInput(_ input: BadInput) async throws {
    let result = try await ChartTools.renderFailure(input.arguments)
    #expect(result.exitCode != 0, "accepted: \(input.arguments)")
    for fragment in input.message {
      #expect(result.output.contains(fragment), "message lacks '\(fragment)':\n\(result.output)")
    }
    #expect(!result.output.contains("panic"), "\(result.output)")
  }

  @Test("the same checks stop helm install (client-side dry run)")
  func installFails() async throws {
    let result = try await ChartTools.helm(
      ["install", "my-release", ChartTools.chart, "--dry-run=client", "--set", "replicas=-3"])
    #expect(result.exitCode != 0)
    #expect(result.output.contains("/replicas"), "\(result.output)")
  }

  @Test("NOTES tell how to check health and scale; no warning for an odd count")
  func notes() async throws {
    let notes = try await ChartTools.notes()
    #expect(
      notes.contains("kubectl exec -n \(ChartTools.namespace) my-release-etcd-0 -- etcd-pilot health"), "\(notes)")
    #expect(notes.contains("kubectl scale -n \(ChartTools.namespace) statefulset/my-release-etcd --replicas=5"))
    #expect(notes.contains("--set replicas=5"))
    #expect(notes.contains("Scaling to 0 pauses"))
    #expect(notes.contains("helm test my-release"))
    #expect(!notes.contains("WARNING"))
    #expect(!notes.contains("Backups"), "backups are off by default")
  }

  @Test("with backups on, NOTES say when, where, and how to take one now")
  func backupNotes() async throws {
    let notes = try await ChartTools.notes(["--set", "backup.enabled=true", "--set", "backup.keep=3"])
    #expect(notes.contains("Backups (0 */6 * * *, the newest 3 kept on PVC my-release-etcd-backup)"), "\(notes)")
    #expect(
      notes.contains(
        "kubectl create job -n \(ChartTools.namespace) --from=cronjob/my-release-etcd-backup my-release-etcd-backup-now"
      ))
  }

  @Test("an even replica count renders, and NOTES warn about it", arguments: [2, 4, 6])
  func evenCount(_ replicas: Int) async throws {
    let rendered = try await ChartTools.render(["--set", "replicas=\(replicas)"])
    #expect(try rendered.statefulSet["spec"]["replicas"].int == replicas)
    #expect(try rendered.one("PodDisruptionBudget")["spec"]["maxUnavailable"].int == 1)
    let notes = try await ChartTools.notes(["--set", "replicas=\(replicas)"])
    #expect(notes.contains("WARNING: replicas is \(replicas), an even number"), "\(notes)")
    #expect(notes.contains("Prefer \(replicas - 1) or \(replicas + 1)"), "\(notes)")
  }

  @Test("replicas 0 renders a paused cluster and NOTES say so")
  func zeroPauses() async throws {
    let rendered = try await ChartTools.render(["--set", "replicas=0"])
    #expect(try rendered.statefulSet["spec"]["replicas"].int == 0)
    let notes = try await ChartTools.notes(["--set", "replicas=0"])
    #expect(notes.contains("paused"), "\(notes)")
    #expect(!notes.contains("WARNING"))
  }
}
