import EtcdTestFixtures
import Foundation
import Testing

/// `helm lint` and the tools themselves: a check that cannot fail proves nothing, so each tool is
/// also shown a broken input once.
@Suite("Chart: lint and tools", .serialized, .timeLimit(.minutes(10)))
struct ChartToolsTests {
  @Test("helm is v4 and the venv tools answer")
  func toolsInstalled() async throws {
    let version = try await ChartTools.helm(["version", "--template", "{{.Version}}"])
    #expect(version.exitCode == 0)
    #expect(version.output.hasPrefix("v4."), "helm \(version.output)")
    for tool in [ChartTools.kubernetesValidate, ChartTools.checkov] {
      let result = try await ProcessOutput.runAsync(try ChartTools.require(tool), ["--version"], timeout: .seconds(120))
      #expect(result.exitCode == 0, "\(tool) --version: \(result.output)")
    }
  }

  @Test("helm lint and helm lint --strict pass, with default and non-default values")
  func lint() async throws {
    for values in [
      [], ["--set", "replicas=5,storageClass=fast,resources.requests.cpu=500m,resources.limits.memory=1Gi"],
      ChartValueSets.certManagerWithAuth, ChartValueSets.tlsOff, ChartValueSets.conventions,
      ChartValueSets.incubatorValues,
    ] {
      for strict in [false, true] {
        let result = try await ChartTools.helm(["lint", ChartTools.chart] + (strict ? ["--strict"] : []) + values)
        #expect(result.exitCode == 0, "helm lint \(strict ? "--strict " : "")\(values): \(result.output)")
        #expect(result.output.contains("0 chart(s) failed"), "\(result.output)")
        #expect(!result.output.contains("[WARNING]") && !result.output.contains("[ERROR]"), "\(result.output)")
      }
    }
  }

  @Test("the Certificate shape check rejects a misspelt field, a wrong usage and a missing issuer")
  func customResourceCheckIsStrict() async throws {
    let good = try await ChartTools.render(ChartValueSets.certManagerWithAuth).one("Certificate")
    #expect(CustomResources.certificateProblems(good).isEmpty)
    func stringKeyed(_ raw: Any?) -> [String: Any]? {
      if let map = raw as? [String: Any] { return map }
      guard let map = raw as? [AnyHashable: Any] else { return nil }
      return Dictionary(
        uniqueKeysWithValues: map.compactMap { key, value in (key.base as? String).map { ($0, value) } })
    }
    guard var object = stringKeyed(good.raw), var spec = stringKeyed(object["spec"]) else {
      Issue.record("the Certificate is not a map: \(good)")
      return
    }
    spec["dnsName"] = spec.removeValue(forKey: "dnsNames")
    spec["usages"] = ["server auth", "client-auth"]
    spec["issuerRef"] = ["kind": "Issuer"]
    object["spec"] = spec
    let problems = CustomResources.certificateProblems(YAMLValue(object))
    for fragment in ["spec.dnsName is not a field", "client-auth", "spec.issuerRef.name is required"] {
      #expect(problems.contains { $0.contains(fragment) }, "\(problems)")
    }
    #expect(
      CustomResources.problems(YAMLValue(["apiVersion": "cert-manager.io/v1", "kind": "Issuer"])).count == 1,
      "an unknown kind is a problem")
  }

  @Test("kubernetes-validate --strict rejects an unknown field (the validator is really strict)")
  func validatorIsStrict() async throws {
    let directory = try ChartTools.scratchDirectory("validate-negative")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let file = "\(directory)/bad.yaml"
    try """
    apiVersion: v1
    kind: Service
    metadata:
      name: bad
    spec:
      clusterIP: None
      publishNotReadyAddress: true
      ports:
        - port: 2379
    """.write(toFile: file, atomically: true, encoding: .utf8)
    for version in ChartTools.kubernetesVersions {
      let result = try await ProcessOutput.runAsync(
        try ChartTools.require(ChartTools.kubernetesValidate), ["--strict", "-k", version, file], timeout: .seconds(120)
      )
      #expect(result.exitCode != 0, "kubernetes-validate -k \(version) accepted an unknown field: \(result.output)")
      #expect(result.output.contains("publishNotReadyAddress"), "\(result.output)")
    }
  }
}
