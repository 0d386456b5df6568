/// The fields of Kubernetes objects the agent reads and writes; everything else is ignored.
public enum KubernetesObjects {
  public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var generation: Int?
    public var resourceVersion: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var ownerReferences: [OwnerReference]?

    public init(
      name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
      ownerReferences: [OwnerReference]? = nil
    ) {
      self.name = name
      self.namespace = namespace
      self.labels = labels
      self.ownerReferences = ownerReferences
    }
  }

  /// Ties an object to its owner, so Kubernetes' garbage collector deletes it with the owner.
  public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
  }

  public struct StatefulSet: Codable, Sendable {
    public struct Spec: Codable, Sendable {
      public struct Selector: Codable, Sendable { public var matchLabels: [String: String]? }
      public var replicas: Int?
      public var selector: Selector?
    }
    public struct Status: Codable, Sendable {
      public var observedGeneration: Int?
      public var replicas: Int?
    }
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?
  }

  public struct Pod: Codable, Sendable {
    public struct Status: Codable, Sendable { public var phase: String? }
    public var metadata: ObjectMeta
    public var status: Status?
  }

  public struct PodList: Codable, Sendable {
    public var items: [Pod]
  }

  public struct ConfigMap: Codable, Sendable {
    public var apiVersion = "v1"
    public var kind = "ConfigMap"
    public var metadata: ObjectMeta
    public var data: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]?) {
      self.metadata = metadata
      self.data = data
    }
  }

  /// A core/v1 Event about a pod.
  public struct Event: Codable, Sendable {
    public struct ObjectReference: Codable, Sendable {
      public var apiVersion = "v1"
      public var kind = "Pod"
      public var name: String
      public var namespace: String
      public var uid: String?
    }
    public struct Source: Codable, Sendable {
      public var component: String
      public var host: String?
    }
    public var apiVersion = "v1"
    public var kind = "Event"
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String
    public var message: String
    public var type: String
    public var source: Source
    public var firstTimestamp: String
    public var lastTimestamp: String
    public var count: Int
  }
}
