/// The proposal of a new cluster: a fresh random token and the initial member list.
///
/// Ordinal 0 writes it to its volume once every pod of the desired count answered "fresh";
/// every other pilot adopts it from whichever peer publishes it. All start etcd `new` with the
/// same token and list.
public struct BootstrapMarker: Sendable, Hashable, Codable {
  /// One initial member.
  public struct Member: Sendable, Hashable, Codable {
    public var name: String
    public var ordinal: Int
    public var peerURL: String

    public init(name: String, ordinal: Int, peerURL: String) {
      self.name = name
      self.ordinal = ordinal
      self.peerURL = peerURL
    }
  }

  /// The `--initial-cluster-token`: random per bootstrap, so a volume of an earlier cluster
  /// can never join this one by accident.
  public var token: String
  public var members: [Member]
  /// When the marker was proposed (seconds since 1970), for the formation timeout.
  public var proposedAt: Double

  public init(token: String, members: [Member], proposedAt: Double) {
    self.token = token
    self.members = members
    self.proposedAt = proposedAt
  }

  /// The `--initial-cluster` flag value.
  public var initialCluster: String {
    members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
  }

  public func includes(_ pod: PodIdentity) -> Bool {
    members.contains { $0.name == pod.name && $0.peerURL == pod.peerURL }
  }

  /// True while every initial member is a pod the StatefulSet still wants.
  public func fits(desiredReplicas: Int) -> Bool {
    members.allSatisfy { $0.ordinal < desiredReplicas }
  }
}

/// The cluster record: written once when the cluster first forms, kept by the release
/// (a ConfigMap in Kubernetes, a file locally). While it exists nobody bootstraps.
public struct ClusterRecord: Sendable, Hashable, Codable {
  public var token: String
  /// Cluster ID in hex.
  public var clusterID: String
  /// Initial member IDs in hex.
  public var memberIDs: [String]
  /// When the cluster formed (seconds since 1970).
  public var formedAt: Double

  public init(token: String, clusterID: String, memberIDs: [String], formedAt: Double) {
    self.token = token
    self.clusterID = clusterID
    self.memberIDs = memberIDs
    self.formedAt = formedAt
  }
}
