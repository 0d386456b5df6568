import Foundation
import HTTPEndpoints
import Synchronization

/// The few Kubernetes API paths the agent uses, served by the local StatefulSet over HTTPS with
/// a service-account token, so a chart's pods run here exactly as they would in a cluster:
/// the StatefulSet (replicas, generation, deletion), its pods (terminating or not), the
/// cluster-record ConfigMap, and Events (kept, for tests to read). Authorization (RBAC) is not
/// emulated: the chart's Role is checked by its own tests.
final class LocalKubernetesAPI: Sendable {
  struct Stored: Codable, Sendable {
    var configMaps: [String: [String: String]] = [:]
    var configMapVersions: [String: Int] = [:]
    /// Labels and ownerReferences of each ConfigMap, as JSON text (kept as the client sent them).
    var configMapMetadata: [String: String]? = [:]
    var events: [[String: String]] = []
  }

  let namespace: String
  let statefulSetName: String
  let selector: [String: String]
  let token: String
  private let statefulSet: LocalStatefulSet
  private let state = Mutex(Stored())
  private let storeFile: String

  init(
    namespace: String, statefulSetName: String, selector: [String: String], token: String,
    statefulSet: LocalStatefulSet, storeFile: String
  ) {
    self.namespace = namespace
    self.statefulSetName = statefulSetName
    self.selector = selector
    self.token = token
    self.statefulSet = statefulSet
    self.storeFile = storeFile
    if let data = FileManager.default.contents(atPath: storeFile),
      let stored = try? JSONDecoder().decode(Stored.self, from: data)
    {
      state.withLock { $0 = stored }
    }
  }

  func answer(_ request: HTTPRequest) async -> HTTPResponse {
    guard request.header("Authorization") == "Bearer \(token)" else {
      return status(401, "Unauthorized", "the service account token is missing or wrong")
    }
    let parts = request.path.split(separator: "/").map(String.init)
    let core = "/api/v1/namespaces/\(namespace)"
    switch (request.method, request.path) {
    case ("GET", "/apis/apps/v1/namespaces/\(namespace)/statefulsets/\(statefulSetName)"):
      return await statefulSetObject()
    case ("GET", "\(core)/pods"):
      return await pods()
    case ("POST", "\(core)/configmaps"):
      return createConfigMap(request.body)
    case ("POST", "\(core)/events"):
      return recordEvent(request.body)
    case ("GET", "\(core)/events"):
      let events = state.withLock { $0.events }
      return json(["kind": "EventList", "items": events])
    default:
      if parts.count == 6, parts[0] == "api", parts[4] == "configmaps" {
        if request.method == "GET" { return configMap(parts[5]) }
        if request.method == "PUT" { return updateConfigMap(parts[5], request.body) }
      }
      return status(404, "NotFound", "\(request.method) \(request.path) is not served by the local StatefulSet")
    }
  }

  private func statefulSetObject() async -> HTTPResponse {
    let view = await statefulSet.apiView()
    guard !view.deleted else { return status(404, "NotFound", "statefulsets.apps \"\(statefulSetName)\" not found") }
    var metadata: [String: Any] = [
      "name": statefulSetName, "namespace": namespace, "uid": "local-\(statefulSetName)", "generation": view.generation,
      "labels": selector,
    ]
    if view.deleting { metadata["deletionTimestamp"] = Self.timestamp() }
    return json([
      "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": metadata,
      "spec": ["replicas": view.replicas, "selector": ["matchLabels": selector]],
      "status": ["observedGeneration": view.generation, "replicas": view.pods.count],
    ])
  }

  private func pods() async -> HTTPResponse {
    let view = await statefulSet.apiView()
    let items: [[String: Any]] = view.pods.map { pod in
      var metadata: [String: Any] = ["name": pod.name, "namespace": namespace, "uid": pod.uid, "labels": selector]
      if pod.terminating { metadata["deletionTimestamp"] = Self.timestamp() }
      // Every pod the API server lists has a phase; one whose containers have not started is Pending.
      return ["metadata": metadata, "status": ["phase": pod.pending ? "Pending" : "Running"]]
    }
    return json(["apiVersion": "v1", "kind": "PodList", "items": items])
  }

  private func configMap(_ name: String) -> HTTPResponse {
    guard
      let (data, version) = state.withLock({ stored in
        stored.configMaps[name].map { ($0, stored.configMapVersions[name] ?? 1) }
      })
    else {
      return status(404, "NotFound", "configmaps \"\(name)\" not found")
    }
    var metadata: [String: Any] = ["name": name, "namespace": namespace, "resourceVersion": String(version)]
    let kept = state.withLock { $0.configMapMetadata?[name] }
    if let kept, let extra = try? JSONSerialization.jsonObject(with: Data(kept.utf8)) as? [String: Any] {
      metadata.merge(extra) { current, _ in current }
    }
    return json(["apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data])
  }

  /// The labels and ownerReferences of a ConfigMap's metadata, as JSON text.
  private static func keptMetadata(_ metadata: [String: Any]?) -> String? {
    let kept = (metadata ?? [:]).filter { $0.key == "labels" || $0.key == "ownerReferences" }
    guard !kept.isEmpty, let data = try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]) else {
      return nil
    }
    return String(decoding: data, as: UTF8.self)
  }

  private func createConfigMap(_ body: [UInt8]) -> HTTPResponse {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
      let metadata = object["metadata"] as? [String: Any], let name = metadata["name"] as? String
    else { return status(400, "BadRequest", "not a ConfigMap") }
    let data = object["data"] as? [String: String] ?? [:]
    let created = state.withLock { stored -> Bool in
      guard stored.configMaps[name] == nil else { return false }
      stored.configMaps[name] = data
      stored.configMapVersions[name] = 1
      stored.configMapMetadata = (stored.configMapMetadata ?? [:]).merging(
        [name: Self.keptMetadata(metadata)].compactMapValues { $0 }
      ) { $1 }
      return true
    }
    guard created else { return status(409, "AlreadyExists", "configmaps \"\(name)\" already exists") }
    persist()
    return configMap(name).with(status: 201)
  }

  private func updateConfigMap(_ name: String, _ body: [UInt8]) -> HTTPResponse {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
      return status(400, "BadRequest", "not a ConfigMap")
    }
    let version = ((object["metadata"] as? [String: Any])?["resourceVersion"] as? String).flatMap(Int.init)
    let data = object["data"] as? [String: String] ?? [:]
    let outcome = state.withLock { stored -> Int in
      guard let current = stored.configMapVersions[name] else { return 404 }
      if let version, version != current { return 409 }
      stored.configMaps[name] = data
      stored.configMapVersions[name] = current + 1
      // A PUT replaces the metadata, as the API server does.
      stored.configMapMetadata?[name] = Self.keptMetadata(object["metadata"] as? [String: Any])
      return 200
    }
    switch outcome {
    case 404: return status(404, "NotFound", "configmaps \"\(name)\" not found")
    case 409:
      return status(409, "Conflict", "the object has been modified; please apply your changes to the latest version")
    default:
      persist()
      return configMap(name)
    }
  }

  private func recordEvent(_ body: [UInt8]) -> HTTPResponse {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
      return status(400, "BadRequest", "not an Event")
    }
    let involved = object["involvedObject"] as? [String: Any]
    let event = [
      "reason": object["reason"] as? String ?? "", "message": object["message"] as? String ?? "",
      "type": object["type"] as? String ?? "", "pod": involved?["name"] as? String ?? "",
    ]
    state.withLock { $0.events.append(event) }
    persist()
    return json(["kind": "Event"]).with(status: 201)
  }

  private func persist() {
    let stored = state.withLock { $0 }
    if let data = try? JSONEncoder().encode(stored) {
      try? data.write(to: URL(fileURLWithPath: storeFile), options: .atomic)
    }
  }

  private func json(_ object: [String: Any]) -> HTTPResponse {
    .json(Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)))
  }

  private func status(_ code: Int, _ reason: String, _ message: String) -> HTTPResponse {
    json([
      "apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": reason, "message": message, "code": code,
    ])
    .with(status: code)
  }

  static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }
}

extension HTTPResponse {
  func with(status: Int) -> HTTPResponse {
    var copy = self
    copy.status = status
    return copy
  }
}
