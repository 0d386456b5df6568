import Foundation
import Membership
import Pilot

/// Reads the local StatefulSet's file.
public struct FileReplicaSource: ReplicaSource {
  public let path: String

  public init(path: String) { self.path = path }

  public func desired() async -> DesiredReplicas {
    guard let file = LocalStatefulSetFile.read(path) else {
      return StatefulSetState.missing("the StatefulSet file \(path)")
    }
    return file.state.desired
  }

  public func podPhases() async -> [PodPhase] {
    LocalStatefulSetFile.read(path)?.state.phases ?? []
  }
}
