import EtcdTestFixtures
import Foundation
import Testing
import Yams

/// The chart's test tools, installed by scripts/setup-chart-tools.sh into .tools/. A missing tool
/// fails the test (never skips it): the chart is part of the product.
enum ChartTools {
  static let chart = "\(RepositoryRoot.path)/charts/etcd"
  static let helm = "\(RepositoryRoot.path)/.tools/helm/helm"
  static let kubernetesValidate = "\(RepositoryRoot.path)/.tools/chart-venv/bin/kubernetes-validate"
  static let checkov = "\(RepositoryRoot.path)/.tools/chart-venv/bin/checkov"
  /// The oldest and newest Kubernetes schema versions the pinned kubernetes-validate ships.
  static let kubernetesVersions = ["1.29.0", "1.37.0"]
  static let namespace = "etcd-ns"

  static func require(_ tool: String) throws -> String {
    guard FileManager.default.isExecutableFile(atPath: tool) else {
      throw FixtureError("\(tool) is missing: run scripts/setup-chart-tools.sh")
    }
    return tool
  }

  /// Helm with private cache/config/data directories and no kubeconfig: nothing outside the test
  /// is read or written, and nothing can reach a cluster.
  static func helm(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> ProcessOutput {
    let home = try scratchDirectory("helm-home")
    defer { try? FileManager.default.removeItem(atPath: home) }
    return try await ProcessOutput.runAsync(
      try require(helm), arguments,
      environment: [
        "HELM_CACHE_HOME": "\(home)/cache", "HELM_CONFIG_HOME": "\(home)/config", "HELM_DATA_HOME": "\(home)/data",
        "KUBECONFIG": "\(home)/no-kubeconfig",
      ], timeout: timeout)
  }

  static func scratchDirectory(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-chart-\(label)-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// `helm template` with `values` (each one `--set`-style argument list), rendered into files.
  static func render(
    release: String = "my-release", chart: String = ChartTools.chart, _ arguments: [String] = []
  ) async throws -> Rendered {
    let directory = try scratchDirectory("render")
    let result = try await helm(
      ["template", release, chart, "--namespace", namespace, "--output-dir", directory] + arguments)
    guard result.exitCode == 0 else {
      try? FileManager.default.removeItem(atPath: directory)
      throw FixtureError(
        "helm template \(arguments.joined(separator: " ")) failed (\(result.exitCode)):\n\(result.output)")
    }
    return try Rendered(directory: directory)
  }

  /// The text the chart's generated Secrets use to find their earlier version in the cluster.
  static let secretLookup = #"lookup "v1" "Secret" .Release.Namespace $name"#
  /// The text the chart uses to find its live StatefulSet (the replicas it runs, what it records).
  static let statefulSetLookup = #"lookup "apps/v1" "StatefulSet" .Release.Namespace (include "etcd.fullname" .)"#

  /// A copy of the chart in which `lookup` answers as it would against a cluster holding these
  /// objects: `helm template` has no cluster, so in each template file the lookup text is replaced
  /// with the object, written as a template literal. The copy lives in `directory`.
  static func chartCopy(in directory: String, lookups: [(files: [String], text: String, object: Any)]) throws -> String
  {
    let copied = "\(directory)/etcd"
    try FileManager.default.copyItem(atPath: chart, toPath: copied)
    for lookup in lookups {
      let json = String(
        decoding: try JSONSerialization.data(withJSONObject: lookup.object, options: [.sortedKeys]), as: UTF8.self)
      let literal =
        "(fromJson \"" + json.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        + "\")"
      for file in lookup.files {
        let path = "\(copied)/templates/\(file)"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(lookup.text) else {
          throw FixtureError("\(file) no longer looks its object up with \(lookup.text)")
        }
        try text.replacingOccurrences(of: lookup.text, with: literal).write(
          toFile: path, atomically: true, encoding: .utf8)
      }
    }
    return copied
  }

  /// `helm template` as `helm upgrade` renders against a cluster in which the generated Secrets
  /// (the CA's, the root password's) already hold `data` (base64 values).
  static func renderWithSecretsInCluster(_ data: [String: String], _ arguments: [String] = []) async throws -> Rendered
  {
    let directory = try scratchDirectory("chart-copy")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let copied = try chartCopy(
      in: directory, lookups: [(["secret-ca.yaml", "secret-auth.yaml"], secretLookup, ["data": data])])
    return try await render(chart: copied, arguments)
  }

  /// Runs `body` with a copy of the chart that renders as `helm upgrade` does against a cluster
  /// whose StatefulSet is `statefulSet` (as `kubectl get statefulset -o json` shows it).
  static func withLiveStatefulSet<T>(_ statefulSet: [String: Any], _ body: (String) async throws -> T) async throws -> T
  {
    let directory = try scratchDirectory("chart-copy")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(try chartCopy(in: directory, lookups: [(["_helpers.tpl"], statefulSetLookup, statefulSet)]))
  }

  /// `helm template` that is expected to fail: its exit code and message.
  static func renderFailure(chart: String = ChartTools.chart, _ arguments: [String]) async throws -> ProcessOutput {
    let directory = try scratchDirectory("render-bad")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await helm(
      ["template", "my-release", chart, "--namespace", namespace, "--output-dir", directory] + arguments)
  }

  /// Each case's values must fail `helm template`, saying `message`.
  static func expectRefused(
    _ cases: [(arguments: [String], message: String)], sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    for (arguments, message) in cases {
      let result = try await renderFailure(arguments)
      #expect(result.exitCode != 0, "accepted: \(arguments)", sourceLocation: sourceLocation)
      #expect(result.output.contains(message), "\(arguments): \(result.output)", sourceLocation: sourceLocation)
    }
  }

  /// The NOTES a user sees after `helm install` (rendered client-side, no cluster).
  static func notes(chart: String = ChartTools.chart, _ arguments: [String] = []) async throws -> String {
    let result = try await helm(
      ["install", "my-release", chart, "--namespace", namespace, "--dry-run=client", "--hide-secret"] + arguments)
    guard result.exitCode == 0 else {
      throw FixtureError("helm install --dry-run=client failed (\(result.exitCode)):\n\(result.output)")
    }
    guard let range = result.output.range(of: "NOTES:\n") else {
      throw FixtureError("helm install --dry-run=client printed no NOTES:\n\(result.output)")
    }
    return String(result.output[range.upperBound...])
  }
}

/// The objects of one `helm template` run, kept as files for the schema and policy tools.
final class Rendered: @unchecked Sendable {
  let directory: String
  let files: [String]
  let objects: [YAMLValue]

  init(directory: String) throws {
    self.directory = directory
    var files: [String] = []
    let enumerator = FileManager.default.enumerator(atPath: directory)
    while let relative = enumerator?.nextObject() as? String {
      if relative.hasSuffix(".yaml") { files.append("\(directory)/\(relative)") }
    }
    self.files = files.sorted()
    var objects: [YAMLValue] = []
    for file in self.files {
      let text = try String(contentsOfFile: file, encoding: .utf8)
      for document in try Yams.load_all(yaml: text) {
        let value = YAMLValue(document)
        if value["kind"].string != nil { objects.append(value) }
      }
    }
    self.objects = objects
  }

  deinit { try? FileManager.default.removeItem(atPath: directory) }

  func all(_ kind: String) -> [YAMLValue] { objects.filter { $0["kind"].string == kind } }

  func one(_ kind: String, named name: String? = nil) throws -> YAMLValue {
    let matches = all(kind).filter { name == nil || $0["metadata"]["name"].string == name }
    guard matches.count == 1 else {
      throw FixtureError("expected one \(kind)\(name.map { " named \($0)" } ?? ""), found \(matches.count)")
    }
    return matches[0]
  }

  /// Objects of the kinds Kubernetes itself defines; the others (cert-manager's Certificate) are
  /// custom resources no schema of kubernetes-validate covers.
  var builtIn: [YAMLValue] { objects.filter { !CustomResources.isCustom($0) } }
  var custom: [YAMLValue] { objects.filter { CustomResources.isCustom($0) } }

  var statefulSet: YAMLValue { get throws { try one("StatefulSet") } }
  var podSpec: YAMLValue { get throws { try statefulSet["spec"]["template"]["spec"] } }
  var container: YAMLValue { get throws { try podSpec["containers"][0] } }
}

/// A parsed YAML value with forgiving lookups: a missing key gives a value whose `exists` is false.
struct YAMLValue: @unchecked Sendable, CustomStringConvertible {
  let raw: Any?

  init(_ raw: Any?) { self.raw = raw is NSNull ? nil : raw }

  subscript(_ key: String) -> YAMLValue {
    if let map = raw as? [AnyHashable: Any] { return YAMLValue(map[AnyHashable(key)]) }
    if let map = raw as? [String: Any] { return YAMLValue(map[key]) }
    return YAMLValue(nil)
  }

  subscript(_ index: Int) -> YAMLValue {
    guard let array = raw as? [Any], array.indices.contains(index) else { return YAMLValue(nil) }
    return YAMLValue(array[index])
  }

  var exists: Bool { raw != nil }
  var string: String? { raw as? String }
  var int: Int? { raw as? Int }
  var bool: Bool? { raw as? Bool }
  var array: [YAMLValue] { (raw as? [Any] ?? []).map(YAMLValue.init) }
  var strings: [String] { array.compactMap(\.string) }
  var keys: [String] {
    if let map = raw as? [AnyHashable: Any] { return map.keys.compactMap { $0.base as? String }.sorted() }
    if let map = raw as? [String: Any] { return map.keys.sorted() }
    return []
  }
  /// A Secret's `data[key]`, base64-decoded as UTF-8.
  func secretText(_ key: String) -> String? {
    guard let encoded = self["data"][key].string, let data = Data(base64Encoded: encoded) else { return nil }
    return String(decoding: data, as: UTF8.self)
  }
  var stringMap: [String: String] {
    Dictionary(uniqueKeysWithValues: keys.compactMap { key in self[key].string.map { (key, $0) } })
  }

  /// A canonical text form (keys sorted), for comparing whole subtrees.
  var canonical: String {
    switch raw {
    case nil: return "null"
    case let string as String: return "\"\(string)\""
    case let bool as Bool: return bool ? "true" : "false"
    case let int as Int: return String(int)
    case let double as Double: return String(double)
    case let array as [Any]: return "[" + array.map { YAMLValue($0).canonical }.joined(separator: ",") + "]"
    default:
      return "{" + keys.map { "\($0):\(self[$0].canonical)" }.joined(separator: ",") + "}"
    }
  }

  var description: String { canonical }

  /// The env entry named `name` in a container's env list.
  func env(_ name: String) -> YAMLValue {
    YAMLValue(array.first { $0["name"].string == name }?.raw)
  }

  func port(_ name: String) -> Int? {
    array.first { $0["name"].string == name }?["containerPort"].int
      ?? array.first { $0["name"].string == name }?["port"].int
  }
}

/// Builds a YAML-ish canonical value for expectations written in Swift.
func canonical(_ value: Any) -> String { YAMLValue(value).canonical }
