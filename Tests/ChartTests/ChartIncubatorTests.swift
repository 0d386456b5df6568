import EtcdTestFixtures
import Foundation
import Testing

/// The keys the incubator/etcd chart's templates read (peerPort, persistentVolume.*, memoryMode,
/// component, auth.client/peer.*), accepted as deprecated aliases: a values file written for that
/// chart installs this one, NOTES say what to rename, and what cannot carry over is refused with
/// the way forward. Never a silent downgrade: an alias cannot turn TLS off.
@Suite("Chart: incubator/etcd values", .serialized, .timeLimit(.minutes(10)))
struct ChartIncubatorTests {
  static func valuesFile(_ text: String) throws -> (arguments: [String], directory: String) {
    let directory = try ChartTools.scratchDirectory("incubator-values")
    let path = "\(directory)/values.yaml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return (["-f", path], directory)
  }

  @Test(
    "the incubator chart's values file (its defaults) renders; TLS stays on; NOTES name each key to rename or remove")
  func defaultsFile() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.incubatorValues)
    let container = try rendered.container
    #expect(
      container["args"].strings == ChartRenderTests.expectedArgs() + ChartRenderTests.caArgs(),
      "TLS is not turned off by secureTransport: false")
    #expect(container["ports"].port("etcd-server-ssl") == 2380)
    #expect(
      try rendered.statefulSet["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"].string
        == "1Gi")
    #expect(container["resources"]["requests"]["memory"].exists, "resources: {} keeps the chart's requests")
    let notes = try await ChartTools.notes(ChartValueSets.incubatorValues)
    for line in [
      "peerPort: rename it to peerPorts",
      "component: not used",
      "persistentVolume.enabled: not used",
      "memoryMode: not used",
      "auth.client.secureTransport, auth.peer.secureTransport: replaced by tls.enabled",
      "auth.client.enableAuthentication, auth.peer.enableAuthentication: not used",
      "auth.peer.useAutoTLS: not used",
    ] {
      #expect(notes.contains(line), "NOTES lack '\(line)':\n\(notes)")
    }
    // Without the old keys, no such section.
    #expect(try await !ChartTools.notes().contains("incubator/etcd"))
  }

  @Test("the old keys take effect where this chart has the same setting")
  func aliases() async throws {
    let (arguments, directory) = try Self.valuesFile(
      """
      peerPort: 12380
      persistentVolume:
        enabled: true
        storage: 8Gi
        storageClass: standard
      auth:
        client:
          secureTransport: true
          enableAuthentication: true
        peer:
          secureTransport: true
          useAutoTLS: true
      memoryMode: true
      """)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let rendered = try await ChartTools.render(arguments)
    let container = try rendered.container
    #expect(container["args"].strings.contains("--peer-port=12380"))
    #expect(container["ports"].port("etcd-server-ssl") == 12380)
    #expect(
      try rendered.one("Service", named: "my-release-etcd-headless")["spec"]["ports"].port("etcd-server-ssl") == 12380)
    #expect(
      try rendered.one("NetworkPolicy", named: "my-release-etcd")["spec"]["ingress"][0]["ports"][1]["port"].int == 12380
    )
    let claim = try rendered.statefulSet["spec"]["volumeClaimTemplates"][0]["spec"]
    #expect(claim["resources"]["requests"]["storage"].string == "8Gi" && claim["storageClassName"].string == "standard")
    #expect(container["args"].strings.contains("--tls-ca-dir=/etc/etcd-pilot/ca"))
    let notes = try await ChartTools.notes(arguments)
    #expect(notes.contains("peerPort: rename it to peerPorts (12380 is used)"), "\(notes)")
    #expect(notes.contains("persistentVolume.storage: rename it to storage (8Gi is used)"), "\(notes)")
    #expect(notes.contains("persistentVolume.storageClass: rename it to storageClass (standard is used)"), "\(notes)")
    #expect(notes.contains("memoryMode: not used"), "\(notes)")

    // An old key and its new name both set to different values: which one is meant is unclear.
    for (extra, message) in [
      (["--set", "peerPorts=13380"], "peerPort (12380) and peerPorts (13380) disagree"),
      (["--set", "storage=20Gi"], "persistentVolume.storage (8Gi) and storage (20Gi) disagree"),
    ] {
      let result = try await ChartTools.renderFailure(arguments + extra)
      #expect(
        result.exitCode != 0 && result.output.contains(message) && result.output.contains("set only"),
        "\(extra): \(result.output)")
    }
  }

  @Test("what cannot carry over is refused with the way forward")
  func refusals() async throws {
    try await ChartTools.expectRefused([
      (
        ["--set", "auth.client.existingSecret=etcd-client-certs"],
        "auth.client.existingSecret: this chart does not use a fixed certificate"
      ),
      (
        ["--set", "auth.client.secureTransport=true", "--set", "tls.enabled=false"],
        "auth.client.secureTransport asks for TLS but tls.enabled is false"
      ),
      (
        ["--set", "auth.peer.secureTransport=true", "--set", "tls.enabled=false"],
        "auth.peer.secureTransport asks for TLS but tls.enabled is false"
      ),
      (
        ["--set", "auth.peer.useAutoTLS=true", "--set", "tls.enabled=false"],
        "auth.peer.useAutoTLS asks for TLS but tls.enabled is false"
      ),
      (
        ["--set", "auth.client.enableAuthentication=true", "--set", "tls.enabled=false"],
        "auth.client.enableAuthentication asks for TLS but tls.enabled is false"
      ),
      (["--set", "image.repository=k8s.gcr.io/etcd-amd64", "--set", "image.tag=3.2.26"], "is etcd's own image"),
      (["--set", "persistentVolume.size=1G"], "/persistentVolume"),
      (["--set", "peerPort=0"], "/peerPort"),
    ])
  }
}
