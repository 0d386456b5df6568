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

  /// What the engine is told.
  public var desired: DesiredReplicas {
    if deleting { return .paused(reason: "the StatefulSet \(name) is being deleted") }
    if replicas == 0 { return .paused(reason: "the StatefulSet \(name) wants 0 replicas") }
    if observedGeneration != generation { return .paused(reason: "the StatefulSet \(name) is being updated") }
    return .replicas(replicas)
  }
}

/// Reads the local StatefulSet's file.
public struct FileReplicaSource: ReplicaSource {
  public let path: String

  public init(path: String) { self.path = path }

  public func desired() async -> DesiredReplicas {
    guard let file = LocalStatefulSetFile.read(path) else {
      return .paused(reason: "the StatefulSet file \(path) is missing (the StatefulSet is deleted)")
    }
    return file.desired
  }

  public func podPhases() async -> [PodPhase] {
    guard let file = LocalStatefulSetFile.read(path) else { return [] }
    let known = Dictionary(file.pods.map { ($0.ordinal, $0.state) }, uniquingKeysWith: { $1 })
    let highest = max(file.replicas, (file.pods.map(\.ordinal).max() ?? -1) + 1)
    return (0..<(highest + 1)).map { PodPhase(ordinal: $0, state: known[$0] ?? .absent) }
  }
}

/// Where the cluster record lives: a ConfigMap in Kubernetes, a file locally.
public protocol ClusterRecordStore: Sendable {
  func read() async -> RecordState
  /// Creates the record unless one exists; an existing record is never replaced.
  func createIfAbsent(_ record: ClusterRecord) async throws
}

/// The cluster record as a file.
public struct FileClusterRecordStore: ClusterRecordStore {
  public let path: String

  public init(path: String) { self.path = path }

  public func read() async -> RecordState {
    guard FileManager.default.fileExists(atPath: path) else { return .absent }
    guard let data = FileManager.default.contents(atPath: path),
      let record = try? JSONDecoder().decode(ClusterRecord.self, from: data)
    else { return .unknown }
    return .present(record)
  }

  public func createIfAbsent(_ record: ClusterRecord) async throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(record)
    let temporary = "\(path).new-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: data) else {
      throw PilotError("cannot write the cluster record \(temporary)")
    }
    defer { unlink(temporary) }
    // link(2) fails when the target exists: create-if-absent in one step, also across pods.
    if link(temporary, path) != 0, errno != EEXIST {
      throw PilotError("cannot create the cluster record \(path): \(String(cString: strerror(errno)))")
    }
  }
}
