import Foundation
import Membership

/// Where the desired replica count (and the pods' phases) come from: the Kubernetes StatefulSet
/// in a cluster, a file kept by the local StatefulSet otherwise.
public protocol ReplicaSource: Sendable {
  /// A fresh read; `.paused` when the StatefulSet is gone, being deleted, wants 0 pods, or
  /// cannot be read.
  func desired() async -> DesiredReplicas
  /// The pods as the platform shows them; empty when unknown.
  func podPhases() async -> [PodPhase]
}

/// Where the cluster record lives: a ConfigMap in Kubernetes, a file locally.
public protocol ClusterRecordStore: Sendable {
  func read() async -> RecordState
  /// Creates the record unless one exists; an existing record is never replaced.
  func createIfAbsent(_ record: ClusterRecord) async throws
}
