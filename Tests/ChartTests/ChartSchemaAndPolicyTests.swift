import EtcdTestFixtures
import Foundation
import Testing

/// Every rendered object against Kubernetes' own schemas (kubernetes-validate --strict, oldest and
/// newest supported version), and the policy scan (checkov): no failed check at default values,
/// each skip justified in the chart.
@Suite("Chart: Kubernetes schemas and policy scan", .serialized, .timeLimit(.minutes(10)))
struct ChartSchemaAndPolicyTests {
  /// kubernetes-validate knows Kubernetes' own kinds only: for cert-manager's Certificate it warns
  /// that it has no schema and passes the file. So the built-in objects must each pass, each custom
  /// resource must be the one warned about (nothing else goes unchecked), and the custom resources'
  /// shape is checked by CustomResources against cert-manager's v1 field names.
  @Test(
    "kubernetes-validate --strict for 1.29 and 1.37 accepts every built-in object of every value set; custom resources pass the shape check"
  )
  func kubernetesSchemas() async throws {
    let validate = try ChartTools.require(ChartTools.kubernetesValidate)
    for (name, arguments) in ChartValueSets.all {
      let rendered = try await ChartTools.render(arguments)
      #expect(rendered.builtIn.count >= 8, "\(name): \(rendered.files)")
      for object in rendered.custom {
        let problems = CustomResources.problems(object)
        #expect(problems.isEmpty, "\(name): \(object["kind"]) \(object["metadata"]["name"]): \(problems)")
      }
      for version in ChartTools.kubernetesVersions {
        let result = try await ProcessOutput.runAsync(
          validate, ["--strict", "-k", version] + rendered.files, timeout: .seconds(180))
        #expect(result.exitCode == 0, "\(name), Kubernetes \(version):\n\(result.output)")
        let lines = result.output.components(separatedBy: "\n")
        let passed = lines.filter { $0.contains(" passed for resource ") }
        #expect(
          passed.count == rendered.builtIn.count,
          "\(name), Kubernetes \(version): \(passed.count) of \(rendered.builtIn.count) validated:\n\(result.output)")
        let unknown = lines.filter { $0.contains("Couldn't find schema") }
        #expect(
          unknown.count == rendered.custom.count, "\(name), Kubernetes \(version): schemas missing for \(unknown)")
        for object in rendered.custom {
          let kind = object["kind"].string ?? "?"
          #expect(
            unknown.contains { $0.contains("kind \(kind) with api version \(object["apiVersion"].string ?? "?")") },
            "\(unknown)")
        }
      }
    }
  }

  @Test("the cert-manager value set renders a Certificate, so the shape check above really runs")
  func customResourcesRendered() async throws {
    let rendered = try await ChartTools.render(ChartValueSets.certManagerWithAuth)
    #expect(rendered.custom.map { $0["kind"].string } == ["Certificate"])
  }

  struct CheckovReport {
    struct Check {
      var id: String
      var resource: String
      var comment: String?
    }
    var passed: [Check]
    var failed: [Check]
    var skipped: [Check]
  }

  /// checkov over the rendered manifests, offline (no download, no update check).
  static func checkov(_ arguments: [String]) async throws -> CheckovReport {
    let rendered = try await ChartTools.render(arguments)
    let output = try ChartTools.scratchDirectory("checkov")
    defer { try? FileManager.default.removeItem(atPath: output) }
    let result = try await ProcessOutput.runAsync(
      try ChartTools.require(ChartTools.checkov),
      [
        "--directory", rendered.directory, "--framework", "kubernetes", "--skip-download", "--compact",
        "--output", "json", "--output-file-path", output,
      ],
      environment: ["CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"], timeout: .seconds(300))
    let file = "\(output)/results_json.json"
    guard let data = FileManager.default.contents(atPath: file) else {
      throw FixtureError("checkov wrote no report (exit \(result.exitCode)):\n\(result.output)")
    }
    let json = YAMLValue(try JSONSerialization.jsonObject(with: data))
    let results = json["results"]
    guard results.exists else {
      throw FixtureError("checkov found nothing to scan:\n\(String(decoding: data, as: UTF8.self))")
    }
    func checks(_ key: String) -> [CheckovReport.Check] {
      results[key].array.map {
        .init(
          id: $0["check_id"].string ?? "?", resource: $0["resource"].string ?? "?",
          comment: $0["check_result"]["suppress_comment"].string)
      }
    }
    #expect(json["summary"]["parsing_errors"].int == 0, "checkov could not parse a rendered file")
    return CheckovReport(
      passed: checks("passed_checks"), failed: checks("failed_checks"), skipped: checks("skipped_checks"))
  }

  @Test("checkov: no failed check at default values; every skip is one the chart justifies")
  func checkovDefaults() async throws {
    let report = try await Self.checkov([])
    #expect(report.failed.isEmpty, "failed: \(report.failed.map { "\($0.id) \($0.resource)" })")
    #expect(report.passed.count > 100, "checkov ran only \(report.passed.count) checks")
    // The security checks that matter here pass for the StatefulSet.
    let statefulSet = "StatefulSet.\(ChartTools.namespace).my-release-etcd"
    let passedHere = Set(report.passed.filter { $0.resource == statefulSet }.map(\.id))
    for id in [
      "CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_40",
      "CKV_K8S_31",
    ] {
      #expect(passedHere.contains(id), "\(id) did not pass for the StatefulSet")
    }
    // NetworkPolicy coverage (a graph check, on the pod template and on the test pod).
    let covered = report.passed.filter { $0.id == "CKV2_K8S_6" }.map(\.resource)
    #expect(covered.contains { $0.hasPrefix("Pod.\(ChartTools.namespace).my-release-etcd.") }, "\(covered)")
    #expect(covered.contains("Pod.\(ChartTools.namespace).my-release-etcd-test"), "\(covered)")
    let justified: [String: Set<String>] = [
      statefulSet: ["CKV_K8S_11", "CKV_K8S_13", "CKV_K8S_15", "CKV_K8S_38", "CKV_K8S_43"],
      "Pod.\(ChartTools.namespace).my-release-etcd-test": ["CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_15", "CKV_K8S_43"],
    ]
    for skip in report.skipped {
      #expect(justified[skip.resource]?.contains(skip.id) == true, "unexpected skip \(skip.id) on \(skip.resource)")
      #expect((skip.comment ?? "").count > 20, "skip \(skip.id) on \(skip.resource) has no reason")
    }
  }

  @Test("checkov: no failed check with cert-manager and auth; the password in env is the one more justified skip")
  func checkovCertManagerAndAuth() async throws {
    let report = try await Self.checkov(ChartValueSets.certManagerWithAuth)
    #expect(report.failed.isEmpty, "failed: \(report.failed.map { "\($0.id) \($0.resource)" })")
    let statefulSet = "StatefulSet.\(ChartTools.namespace).my-release-etcd"
    let skipped = Set(report.skipped.filter { $0.resource == statefulSet }.map(\.id))
    #expect(skipped == ["CKV_K8S_11", "CKV_K8S_13", "CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_38", "CKV_K8S_43"])
    // The test pod reads the password from its mounted file, so nothing is skipped for it there.
    #expect(!report.skipped.contains { $0.id == "CKV_K8S_35" && $0.resource != statefulSet })
    for skip in report.skipped {
      #expect((skip.comment ?? "").count > 20, "skip \(skip.id) on \(skip.resource) has no reason")
    }
  }

  @Test(
    "checkov: no failed check with backups on; the CronJob skips only the image checks the members skip, for the same reasons"
  )
  func checkovBackups() async throws {
    let report = try await Self.checkov(ChartValueSets.backups)
    #expect(report.failed.isEmpty, "failed: \(report.failed.map { "\($0.id) \($0.resource)" })")
    let cronJob = "CronJob.\(ChartTools.namespace).my-release-etcd-backup"
    #expect(report.passed.contains { $0.resource == cronJob }, "checkov did not scan the CronJob")
    #expect(Set(report.skipped.filter { $0.resource == cronJob }.map(\.id)) == ["CKV_K8S_15", "CKV_K8S_43"])
    for skip in report.skipped {
      #expect((skip.comment ?? "").count > 20, "skip \(skip.id) on \(skip.resource) has no reason")
    }
  }

  @Test("checkov: with resources, pullPolicy Always and a digest set, those checks pass instead of being skipped")
  func checkovSkipsFollowValues() async throws {
    let report = try await Self.checkov(
      ChartValueSets.incubator + ["--set", "image.tag=3.6.14@sha256:" + String(repeating: "ab", count: 32)])
    #expect(report.failed.isEmpty, "failed: \(report.failed.map { "\($0.id) \($0.resource)" })")
    let statefulSet = "StatefulSet.\(ChartTools.namespace).my-release-etcd"
    let passed = Set(report.passed.filter { $0.resource == statefulSet }.map(\.id))
    for id in ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "CKV_K8S_15", "CKV_K8S_43"] {
      #expect(passed.contains(id), "\(id) did not pass")
    }
    #expect(report.skipped.filter { $0.resource == statefulSet }.map(\.id) == ["CKV_K8S_38"])
  }

  @Test(
    "checkov: no failed check with the conventions users reach for (LoadBalancer, sidecar, init container, extra volume, digest)"
  )
  func checkovConventions() async throws {
    let report = try await Self.checkov(ChartValueSets.conventions)
    #expect(report.failed.isEmpty, "failed: \(report.failed.map { "\($0.id) \($0.resource)" })")
    let statefulSet = "StatefulSet.\(ChartTools.namespace).my-release-etcd"
    #expect(
      report.passed.contains { $0.resource == "Service.\(ChartTools.namespace).my-release-etcd" },
      "checkov did not scan the client Service")
    // Requests without limits (the default), a digest and pullPolicy Always: only those skips remain.
    #expect(
      Set(report.skipped.filter { $0.resource == statefulSet }.map(\.id)) == ["CKV_K8S_11", "CKV_K8S_13", "CKV_K8S_38"])
    for skip in report.skipped {
      #expect((skip.comment ?? "").count > 20, "skip \(skip.id) on \(skip.resource) has no reason")
    }
  }
}
