import Foundation
import Membership
import Pilot

/// The desired replica count and pod phases from the pod's own StatefulSet.
///
/// Pauses (nothing is removed) when the StatefulSet is gone or being deleted, wants 0 pods, its
/// status has not caught up with its spec, or the API cannot be read.
public struct StatefulSetReplicaSource: ReplicaSource {
  public let client: KubernetesClient
  public let namespace: String
  public let name: String

  public init(client: KubernetesClient, namespace: String, name: String) {
    self.client = client
    self.namespace = namespace
    self.name = name
  }

  var path: String { "/apis/apps/v1/namespaces/\(namespace)/statefulsets/\(name)" }

  func statefulSet() async throws(KubernetesError) -> KubernetesObjects.StatefulSet? {
    let response = try await client.send(.GET, path)
    if response.status == 404 { return nil }
    guard response.status == 200 else {
      throw KubernetesError("reading StatefulSet \(namespace)/\(name): HTTP \(response.status): \(response.message)")
    }
    return try response.decode(KubernetesObjects.StatefulSet.self)
  }

  public func desired() async -> DesiredReplicas {
    do {
      guard let set = try await statefulSet() else { return StatefulSetState.missing("the StatefulSet \(name)") }
      return state(of: set).desired
    } catch {
      return .paused(reason: "the Kubernetes API cannot be read: \(error)")
    }
  }

  func state(of set: KubernetesObjects.StatefulSet, pods: [Int: PodPhase.State] = [:]) -> StatefulSetState {
    StatefulSetState(
      name: name, replicas: set.spec?.replicas ?? 1, deleting: set.metadata.deletionTimestamp != nil,
      generation: set.metadata.generation, observedGeneration: set.status?.observedGeneration, pods: pods)
  }

  public func podPhases() async -> [PodPhase] {
    do {
      guard let set = try await statefulSet() else { return [] }
      var query = ""
      if let labels = set.spec?.selector?.matchLabels, !labels.isEmpty {
        let selector = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        query =
          "?labelSelector=" + (selector.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? selector)
      }
      let response = try await client.send(.GET, "/api/v1/namespaces/\(namespace)/pods\(query)")
      guard response.status == 200 else { return [] }
      let pods = try response.decode(KubernetesObjects.PodList.self).items
      var states: [Int: PodPhase.State] = [:]
      for pod in pods {
        guard let podName = pod.metadata.name, PodIdentity.statefulSetName(ofPodName: podName) == name,
          let ordinal = PodIdentity.ordinal(ofPodName: podName)
        else { continue }
        states[ordinal] =
          pod.metadata.deletionTimestamp != nil ? .terminating : pod.status?.phase == "Pending" ? .pending : .running
      }
      return state(of: set, pods: states).phases
    } catch {
      return []
    }
  }
}
