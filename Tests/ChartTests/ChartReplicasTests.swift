import EtcdTestFixtures
import Foundation
import Testing

/// One truth for the member count that `kubectl scale` and `helm upgrade` (Helm 3's three-way merge,
/// Helm 4's server-side apply) both respect: the chart records the `replicas` value it applied in an
/// annotation and, when the value did not change since, renders the count the live StatefulSet runs.
/// `helm template` has no cluster, so the live StatefulSet is given to a copy of the chart
/// (ChartTools.withLiveStatefulSet); the PodDisruptionBudget follows whatever count runs.
@Suite("Chart: replicas and the disruption budget", .serialized, .timeLimit(.minutes(10)))
struct ChartReplicasTests {
  static let annotation = "etcd-pilot.io/chart-replicas"

  /// The StatefulSet as the API returns it: `replicas` running, `recorded` in the annotation (nil:
  /// a release made by a chart that recorded nothing).
  static func live(replicas: Int, recorded: String?) -> [String: Any] {
    var metadata: [String: Any] = ["name": "my-release-etcd", "namespace": ChartTools.namespace]
    if let recorded { metadata["annotations"] = [annotation: recorded, "checkov.io/skip1": "kept by the test"] }
    return ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": metadata, "spec": ["replicas": replicas]]
  }

  static func replicas(_ rendered: Rendered) throws -> (count: Int?, recorded: String?) {
    let set = try rendered.statefulSet
    return (set["spec"]["replicas"].int, set["metadata"]["annotations"][annotation].string)
  }

  @Test("install: the StatefulSet runs `replicas` and records the value it applied")
  func install() async throws {
    let defaults = try Self.replicas(try await ChartTools.render())
    #expect(defaults.count == 3 && defaults.recorded == "3", "\(defaults)")
    let five = try Self.replicas(try await ChartTools.render(["--set", "replicas=5"]))
    #expect(five.count == 5 && five.recorded == "5", "\(five)")
  }

  @Test("after kubectl scale 3→5, an upgrade that leaves replicas alone keeps the 5 members (and so does not conflict)")
  func unrelatedUpgradeKeepsTheLiveCount() async throws {
    try await ChartTools.withLiveStatefulSet(Self.live(replicas: 5, recorded: "3")) { chart in
      for arguments in [[], ["--set", "backup.enabled=true"], ["--set", "replicas=3"]] {
        let kept = try Self.replicas(try await ChartTools.render(chart: chart, arguments))
        #expect(kept.count == 5, "\(arguments): the upgrade would remove members: \(kept)")
        #expect(kept.recorded == "3", "\(arguments): the value applied is still 3: \(kept)")
      }
      let notes = try await ChartTools.notes(chart: chart)
      #expect(notes.contains("5 member(s)"), "\(notes)")
      #expect(notes.contains("kept the 5 members the StatefulSet runs"), "\(notes)")
    }
    // Paused with kubectl (scale to 0): an unrelated upgrade does not start it again.
    try await ChartTools.withLiveStatefulSet(Self.live(replicas: 0, recorded: "3")) { chart in
      let paused = try Self.replicas(try await ChartTools.render(chart: chart))
      #expect(paused.count == 0, "\(paused)")
    }
  }

  @Test("helm upgrade --set replicas=N scales, also after a kubectl scale")
  func changedValueScales() async throws {
    for (live, recorded, value) in [(3, "3", 5), (5, "3", 7), (5, "3", 1), (3, "5", 7), (0, "3", 4)] {
      try await ChartTools.withLiveStatefulSet(Self.live(replicas: live, recorded: recorded)) { chart in
        let scaled = try Self.replicas(try await ChartTools.render(chart: chart, ["--set", "replicas=\(value)"]))
        #expect(
          scaled.count == value && scaled.recorded == String(value),
          "live \(live), recorded \(recorded), value \(value): \(scaled)")
      }
    }
  }

  @Test("a StatefulSet without the record (an older chart made it): kept when it agrees, refused when Helm cannot tell")
  func noRecord() async throws {
    try await ChartTools.withLiveStatefulSet(Self.live(replicas: 3, recorded: nil)) { chart in
      let agreed = try Self.replicas(try await ChartTools.render(chart: chart))
      #expect(agreed.count == 3 && agreed.recorded == "3", "\(agreed)")
    }
    try await ChartTools.withLiveStatefulSet(Self.live(replicas: 5, recorded: nil)) { chart in
      let refused = try await ChartTools.renderFailure(chart: chart, [])
      #expect(refused.exitCode != 0)
      #expect(
        refused.output.contains(
          "replicas is 3 but StatefulSet \(ChartTools.namespace)/my-release-etcd runs 5 and has no \(Self.annotation) record"
        ),
        "\(refused.output)")
      #expect(refused.output.contains("upgrade once with --set replicas=5"), "\(refused.output)")
      // Saying the live count is the way out.
      let kept = try Self.replicas(try await ChartTools.render(chart: chart, ["--set", "replicas=5"]))
      #expect(kept.count == 5 && kept.recorded == "5")
    }
    try await ChartTools.withLiveStatefulSet(Self.live(replicas: 5, recorded: "five")) { chart in
      let refused = try await ChartTools.renderFailure(chart: chart, [])
      #expect(refused.exitCode != 0)
      #expect(
        refused.output.contains(
          "\(Self.annotation) on StatefulSet \(ChartTools.namespace)/my-release-etcd is \"five\", not a count"),
        "\(refused.output)")
    }
  }

  @Test("PodDisruptionBudget: maxUnavailable 1, the same object whatever the count", arguments: [0, 1, 2, 3, 5, 7])
  func budgetFollowsTheCount(_ replicas: Int) async throws {
    let pdb = try await ChartTools.render(["--set", "replicas=\(replicas)"]).one("PodDisruptionBudget")
    #expect(pdb["spec"]["maxUnavailable"].int == 1, "\(pdb)")
    #expect(!pdb["spec"]["minAvailable"].exists, "an integer computed at render time would not follow kubectl scale")
    #expect(pdb["spec"]["selector"]["matchLabels"].stringMap == ChartRenderTests.selector)
  }

  @Test("pdb.minAvailable still overrides; a budget that lets no member go is refused (a drain would wait forever)")
  func budgetOverrides() async throws {
    let minimum = try await ChartTools.render(["--set", "pdb.minAvailable=60%"]).one("PodDisruptionBudget")
    #expect(minimum["spec"]["minAvailable"].string == "60%" && !minimum["spec"]["maxUnavailable"].exists, "\(minimum)")
    let two = try await ChartTools.render(["--set", "pdb.maxUnavailable=2"]).one("PodDisruptionBudget")
    #expect(two["spec"]["maxUnavailable"].int == 2)
    for arguments in [["--set", "pdb.maxUnavailable=0"], ["--set-string", "pdb.maxUnavailable=0%"]] {
      let refused = try await ChartTools.renderFailure(arguments)
      #expect(refused.exitCode != 0, "\(arguments)")
      #expect(refused.output.contains("/pdb/maxUnavailable"), "\(refused.output)")
    }
  }
}
