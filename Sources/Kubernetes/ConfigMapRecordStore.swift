import Foundation
import Membership
import Pilot

/// The cluster record in a ConfigMap (`<fullname>-cluster`): created when the cluster forms,
/// never replaced. A ConfigMap that exists without a record (made ahead of time by hand, say)
/// gets the record with an update guarded by its resourceVersion.
///
/// The ConfigMap the agent creates carries the release's instance labels but no owner: like the
/// volumes, it outlives `kubectl delete statefulset` and `helm uninstall`, so a reinstall on the
/// same volumes knows the cluster formed. (Were it lost, the leader's pilot writes it again.)
/// Deleting it by hand, with the volumes, is how a new, empty cluster is asked for.
public struct ConfigMapRecordStore: ClusterRecordStore {
  public static let key = "record"
  public let client: KubernetesClient
  public let namespace: String
  public let name: String
  /// The StatefulSet whose labels the ConfigMap carries (it does not own it).
  public let owner: String?

  public init(client: KubernetesClient, namespace: String, name: String, owner: String? = nil) {
    self.client = client
    self.namespace = namespace
    self.name = name
    self.owner = owner
  }

  var path: String { "/api/v1/namespaces/\(namespace)/configmaps/\(name)" }

  public func read() async -> RecordState {
    do {
      let response = try await client.send(.GET, path)
      if response.status == 404 { return .absent }
      guard response.status == 200 else { return .unknown }
      let map = try response.decode(KubernetesObjects.ConfigMap.self)
      guard let text = map.data?[Self.key] else { return .absent }
      guard let record = try? JSONDecoder().decode(ClusterRecord.self, from: Data(text.utf8)) else { return .unknown }
      return .present(record)
    } catch {
      return .unknown
    }
  }

  public func createIfAbsent(_ record: ClusterRecord) async throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(record), as: UTF8.self)
    let existing = try await client.send(.GET, path)
    if existing.status == 200 {
      var map = try existing.decode(KubernetesObjects.ConfigMap.self)
      if map.data?[Self.key] != nil { return }
      map.data = (map.data ?? [:]).merging([Self.key: text]) { $1 }
      let updated = try await client.send(.PUT, path, body: try JSONEncoder().encode(map))
      // 409: someone changed it meanwhile (another pilot recording the same formation).
      guard updated.status == 200 || updated.status == 409 else {
        throw KubernetesError("updating ConfigMap \(namespace)/\(name): HTTP \(updated.status): \(updated.message)")
      }
      return
    }
    guard existing.status == 404 else {
      throw KubernetesError("reading ConfigMap \(namespace)/\(name): HTTP \(existing.status): \(existing.message)")
    }
    var labels = ["app.kubernetes.io/managed-by": "etcd-pilot"]
    if let owner {
      let set = try await client.send(.GET, "/apis/apps/v1/namespaces/\(namespace)/statefulsets/\(owner)")
      guard set.status == 200 else {
        throw KubernetesError(
          "reading StatefulSet \(namespace)/\(owner) to own ConfigMap \(name): HTTP \(set.status): \(set.message)")
      }
      let metadata = try set.decode(KubernetesObjects.StatefulSet.self).metadata
      for key in ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of"] {
        if let value = metadata.labels?[key] { labels[key] = value }
      }
    }
    let map = KubernetesObjects.ConfigMap(
      metadata: .init(name: name, namespace: namespace, labels: labels, ownerReferences: nil),
      data: [Self.key: text])
    let created = try await client.send(
      .POST, "/api/v1/namespaces/\(namespace)/configmaps", body: try JSONEncoder().encode(map))
    guard created.status == 201 || created.status == 200 || created.status == 409 else {
      throw KubernetesError("creating ConfigMap \(namespace)/\(name): HTTP \(created.status): \(created.message)")
    }
  }
}
