import EtcdTestFixtures
import Foundation
import Testing

/// Issue 13, item 3: TLS, its CA source, the peer port, the cluster domain and auth are what the
/// members' peer URLs, trust and credentials are built on. A `helm upgrade` that changes one on a
/// live release is refused with one line naming the setting and the way out, found through the
/// live StatefulSet (its record annotation, or, when an older chart made it, its agent's
/// arguments and volumes); an upgrade that changes none of them renders as before.
@Suite("Chart: settings a live release cannot change", .serialized, .timeLimit(.minutes(10)))
struct ChartLiveChangesTests {
  static let annotation = "etcd-pilot.io/member-settings"

  /// A YAML object as JSONSerialization takes it (string keys all the way down).
  static func json(_ raw: Any?) -> Any {
    if let map = raw as? [AnyHashable: Any] {
      return Dictionary(
        uniqueKeysWithValues: map.compactMap { key, value in (key.base as? String).map { ($0, json(value)) } })
    }
    if let map = raw as? [String: Any] { return map.mapValues { json($0) } }
    if let array = raw as? [Any] { return array.map { json($0) } }
    return raw ?? NSNull()
  }

  /// The StatefulSet an install with `arguments` leaves in the cluster; `recorded: false` drops the
  /// settings record, as a StatefulSet of chart 0.2.0 lacks it.
  static func live(_ arguments: [String], recorded: Bool = true) async throws -> [String: Any] {
    var object = try #require(json(try await ChartTools.render(arguments).statefulSet.raw) as? [String: Any])
    if !recorded, var metadata = object["metadata"] as? [String: Any],
      var annotations = metadata["annotations"] as? [String: Any]
    {
      annotations[annotation] = nil
      metadata["annotations"] = annotations
      object["metadata"] = metadata
    }
    return object
  }

  /// A StatefulSet as chart 0.2.0 made it in CA mode: no record, one CA for members and clients
  /// (no `--tls-client-*` flags, no clients' volume).
  static func liveSharingOneCA() async throws -> [String: Any] {
    var object = try await live([], recorded: false)
    var spec = try #require(object["spec"] as? [String: Any])
    var template = try #require(spec["template"] as? [String: Any])
    var pod = try #require(template["spec"] as? [String: Any])
    var containers = try #require(pod["containers"] as? [[String: Any]])
    containers[0]["args"] = (containers[0]["args"] as? [String] ?? []).filter { !$0.hasPrefix("--tls-client-") }
    containers[0]["volumeMounts"] = (containers[0]["volumeMounts"] as? [[String: Any]] ?? []).filter {
      $0["name"] as? String != "clients"
    }
    pod["containers"] = containers
    pod["volumes"] = (pod["volumes"] as? [[String: Any]] ?? []).filter { $0["name"] as? String != "clients" }
    template["spec"] = pod
    spec["template"] = template
    object["spec"] = spec
    return object
  }

  /// Issue 13, item 4 on a live release: the clients' CA apart from the members' comes with new
  /// releases; one that shares a CA keeps sharing it, as changing how etcd trusts clients under
  /// running members would cut updated pods off from the others during the rollout.
  @Test(
    "a release that runs one CA for members and clients keeps it on upgrade; one with the clients' CA apart keeps that")
  func clientTrustKept() async throws {
    try await ChartTools.withLiveStatefulSet(try await Self.liveSharingOneCA()) { chart in
      let rendered = try await ChartTools.render(chart: chart)
      let args = try rendered.container["args"].strings
      #expect(!args.contains { $0.hasPrefix("--tls-client-") }, "\(args)")
      #expect(rendered.all("Secret").compactMap { $0["metadata"]["name"].string } == ["my-release-etcd-ca"])
      let record = try rendered.statefulSet["metadata"]["annotations"][Self.annotation].string ?? ""
      #expect(record.contains("\"clientTrust\":\"shared\""), "\(record)")
      let test = try rendered.one("Pod")["spec"]["containers"][0]
      #expect(
        (test["command"].strings + test["args"].strings).joined(separator: " ").contains("certs client helm-test"))
    }
    try await ChartTools.withLiveStatefulSet(try await Self.live([])) { chart in
      let rendered = try await ChartTools.render(chart: chart)
      #expect(try rendered.container["args"].strings.contains("--tls-client-ca-file=/etc/etcd-pilot/clients/ca.crt"))
      #expect(
        try rendered.statefulSet["metadata"]["annotations"][Self.annotation].string?.contains(
          "\"clientTrust\":\"apart\"") == true)
    }
  }

  @Test("the StatefulSet records the settings it runs with")
  func recorded() async throws {
    let record = try await ChartTools.render().statefulSet["metadata"]["annotations"][Self.annotation].string
    let settings = try JSONSerialization.jsonObject(with: Data(try #require(record).utf8)) as? [String: String]
    #expect(
      settings == [
        "tls": "ca", "caSecret": "my-release-etcd-ca", "clientTrust": "apart", "peerPort": "2380",
        "clusterDomain": "cluster.local",
        "auth": "false",
      ],
      "\(record ?? "")")
  }

  @Test(
    "a live release refuses a change of TLS, CA source, peer port, cluster domain or auth, with or without the record",
    arguments: [true, false])
  func refused(recorded: Bool) async throws {
    let cases: [(installed: [String], upgrade: [String], message: String)] = [
      (
        [], ["--set", "tls.enabled=false"],
        "tls.enabled and tls.certManager.enabled cannot change on a live release: StatefulSet \(ChartTools.namespace)/my-release-etcd runs with tls=ca, the values say off"
      ),
      (ChartValueSets.tlsOff, ["--set", "tls.enabled=true"], "runs with tls=off, the values say ca"),
      ([], ["--set", "tls.ca.existingSecret=other-ca"], "tls.ca.existingSecret cannot change on a live release"),
      (
        [], ["--set", "peerPorts=2480"],
        "peerPorts cannot change on a live release: StatefulSet \(ChartTools.namespace)/my-release-etcd runs with peerPort=2380, the values say 2480"
      ),
      ([], ["--set", "clusterDomain=example.internal"], "clusterDomain cannot change on a live release"),
      (
        [], ["--set", "auth.enabled=true"],
        "auth.enabled cannot change on a live release: StatefulSet \(ChartTools.namespace)/my-release-etcd runs with auth=false, the values say true"
      ),
      (["--set", "auth.enabled=true"], ["--set", "auth.enabled=false"], "runs with auth=true, the values say false"),
    ]
    for (installed, upgrade, message) in cases {
      try await ChartTools.withLiveStatefulSet(try await Self.live(installed, recorded: recorded)) { chart in
        let result = try await ChartTools.renderFailure(chart: chart, installed + upgrade)
        #expect(result.exitCode != 0, "accepted: \(installed) then \(upgrade)")
        #expect(result.output.contains(message), "\(installed) then \(upgrade): \(result.output)")
        // One line, from the refusal to the way out (helm adds its own hint below it).
        let line = result.output.split(separator: "\n").first { $0.contains("cannot change on a live release") }
        #expect(
          line?.hasSuffix(
            "move the data to a new release as charts/etcd/README.md \"Changing TLS, auth or addresses\" says") == true,
          "\(result.output)")
      }
    }
  }

  @Test("an upgrade that keeps those settings renders, and says the same in NOTES", arguments: [true, false])
  func unchanged(recorded: Bool) async throws {
    for (installed, upgrade) in [
      ([], ["--set", "backup.enabled=true"]), (["--set", "auth.enabled=true"], ["--set", "replicas=5"]),
      (ChartValueSets.tlsOff, []),
    ] {
      try await ChartTools.withLiveStatefulSet(try await Self.live(installed, recorded: recorded)) { chart in
        let rendered = try await ChartTools.render(chart: chart, installed + upgrade)
        #expect(try rendered.statefulSet["metadata"]["annotations"][Self.annotation].exists)
        let notes = try await ChartTools.notes(chart: chart, installed + upgrade)
        #expect(
          notes.contains("Auth: etcd's authentication is on") == installed.contains("auth.enabled=true"), "\(notes)")
      }
    }
  }
}
