/// What the platform shows of this pod's StatefulSet — the Kubernetes object, or the local
/// StatefulSet's file — and the pause rules that turn it into what the engine is told. One rule
/// for both platforms: a StatefulSet that is gone, being deleted, wants 0 pods or has a status
/// behind its spec is a pause (nothing is removed, data is kept).
public struct StatefulSetState: Sendable, Hashable {
  public var name: String
  public var replicas: Int
  public var deleting: Bool
  /// The spec's generation and the one the controller has acted on, when known.
  public var generation: Int?
  public var observedGeneration: Int?
  /// Each pod the platform has, by ordinal.
  public var pods: [Int: PodPhase.State]

  public init(
    name: String, replicas: Int, deleting: Bool = false, generation: Int? = nil, observedGeneration: Int? = nil,
    pods: [Int: PodPhase.State] = [:]
  ) {
    self.name = name
    self.replicas = replicas
    self.deleting = deleting
    self.generation = generation
    self.observedGeneration = observedGeneration
    self.pods = pods
  }

  /// What the engine is told of the desired replicas.
  public var desired: DesiredReplicas {
    if deleting { return .paused(reason: "the StatefulSet \(name) is being deleted") }
    if replicas == 0 { return .paused(reason: "the StatefulSet \(name) wants 0 replicas") }
    if let generation, let observedGeneration, observedGeneration < generation {
      return .paused(
        reason: "the StatefulSet \(name) is being updated (generation \(generation), observed \(observedGeneration))")
    }
    return .replicas(replicas)
  }

  /// Every ordinal up to one past both the desired count and the highest pod: the pods the
  /// platform has, the rest absent — an absent ordinal just above the others is how the engine
  /// tells a pod scaled away from one never made.
  public var phases: [PodPhase] {
    let highest = max(replicas, (pods.keys.max() ?? -1) + 1)
    return (0..<(highest + 1)).map { PodPhase(ordinal: $0, state: pods[$0] ?? .absent) }
  }

  /// The pause for a StatefulSet that does not exist.
  public static func missing(_ what: String) -> DesiredReplicas {
    .paused(reason: "\(what) does not exist (deleted)")
  }
}
