import Foundation
import Membership
import Pilot

/// The local StatefulSet's state file, written by its supervisor and read by every pilot.
public struct LocalStatefulSetFile: Sendable, Codable, Hashable {
  public struct Pod: Sendable, Codable, Hashable {
    public var name: String
    public var ordinal: Int
    public var uid: String
    public var state: PodPhase.State

    public init(name: String, ordinal: Int, uid: String, state: PodPhase.State) {
      self.name = name
      self.ordinal = ordinal
      self.uid = uid
      self.state = state
    }
  }

  public var name: String
  public var namespace: String
  public var replicas: Int
  /// Bumped on every change of `replicas`; `observedGeneration` catches up once the supervisor
  /// has acted on it, as a StatefulSet controller does.
  public var generation: Int
  public var observedGeneration: Int
  public var deleting: Bool
  public var pods: [Pod]

  public init(
    name: String, namespace: String, replicas: Int, generation: Int = 1, observedGeneration: Int = 1,
    deleting: Bool = false, pods: [Pod] = []
  ) {
    self.name = name
    self.namespace = namespace
    self.replicas = replicas
    self.generation = generation
    self.observedGeneration = observedGeneration
    self.deleting = deleting
    self.pods = pods
  }

  public static func read(_ path: String) -> LocalStatefulSetFile? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONDecoder().decode(LocalStatefulSetFile.self, from: data)
  }

  public func write(_ path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try AtomicFile.write(try encoder.encode(self), to: path)
  }

  /// What the pause rules see.
  public var state: StatefulSetState {
    StatefulSetState(
      name: name, replicas: replicas, deleting: deleting, generation: generation,
      observedGeneration: observedGeneration,
      pods: Dictionary(pods.map { ($0.ordinal, $0.state) }, uniquingKeysWith: { $1 }))
  }
}
