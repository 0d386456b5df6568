/// A member as the engine sees it: the member list entry plus what probing it showed.
public struct MemberView: Sendable, Hashable {
  public var id: UInt64
  /// Empty until started, except for members of the initial bootstrap.
  public var name: String
  public var peerURLs: [String]
  public var clientURLs: [String]
  public var isLearner: Bool
  /// It answered a status call just now.
  public var isAlive: Bool
  /// Its raft applied index when it answered.
  public var raftIndex: UInt64
  /// Its etcd version when it answered (`3.5.1`).
  public var version: String?

  public init(
    id: UInt64, name: String, peerURLs: [String], clientURLs: [String] = [], isLearner: Bool = false,
    isAlive: Bool = true, raftIndex: UInt64 = 0, version: String? = nil
  ) {
    self.id = id
    self.name = name
    self.peerURLs = peerURLs
    self.clientURLs = clientURLs
    self.isLearner = isLearner
    self.isAlive = isAlive
    self.raftIndex = raftIndex
    self.version = version
  }

  /// Started: it has published its client URLs. (Members of a static bootstrap carry their
  /// name from `--initial-cluster` before they start, so the name alone proves nothing.)
  public var isStarted: Bool { !clientURLs.isEmpty }
  public var isVoter: Bool { !isLearner }
  public var hexID: String { String(id, radix: 16) }
  /// How the member is named in messages: its name, or its peer URL before it started.
  public var label: String { name.isEmpty ? (peerURLs.first ?? hexID) : name }
}

/// The cluster as seen through a linearizable member list.
public struct ClusterView: Sendable, Hashable {
  public var clusterID: UInt64
  public var members: [MemberView]
  /// The leader, when one is known.
  public var leaderID: UInt64?

  public init(clusterID: UInt64, members: [MemberView], leaderID: UInt64?) {
    self.clusterID = clusterID
    self.members = members
    self.leaderID = leaderID
  }

  public var voters: [MemberView] { members.filter(\.isVoter) }
  public var learners: [MemberView] { members.filter(\.isLearner) }
  public var leader: MemberView? { members.first { $0.id == leaderID } }

  public func member(_ id: UInt64) -> MemberView? { members.first { $0.id == id } }

  /// Members that are this pod in some life: same name, or same peer URL.
  public func entries(of pod: PodIdentity) -> [MemberView] {
    members.filter { $0.name == pod.name || $0.peerURLs.contains(pod.peerURL) }
  }
}

/// What another pilot reports on `/status`.
public struct PeerReport: Sendable, Hashable, Codable {
  public var name: String
  public var ordinal: Int
  /// The pod's UID; two answers with the same UID are one pod (a stale DNS answer).
  public var uid: String
  public var statefulSet: String
  public var namespace: String
  public var fresh: Bool
  public var marker: BootstrapMarker?
  public var formed: Bool
  public var memberID: String?
  /// Its etcd served clients at least once (see ``PilotNotes/served``).
  public var served: Bool
  /// The cluster its volume belongs to (hex), once it knows.
  public var clusterID: String?

  public init(
    name: String, ordinal: Int, uid: String, statefulSet: String, namespace: String, fresh: Bool,
    marker: BootstrapMarker? = nil, formed: Bool = false, memberID: String? = nil, served: Bool = false,
    clusterID: String? = nil
  ) {
    self.name = name
    self.ordinal = ordinal
    self.uid = uid
    self.statefulSet = statefulSet
    self.namespace = namespace
    self.fresh = fresh
    self.marker = marker
    self.formed = formed
    self.memberID = memberID
    self.served = served
    self.clusterID = clusterID
  }
}

/// How many pods the StatefulSet wants, as the replica source says.
public enum DesiredReplicas: Sendable, Hashable {
  /// A fresh read: this many pods, ordinals `0..<count`.
  case replicas(Int)
  /// Pause: the StatefulSet is gone or being deleted, wants 0 pods, or cannot be read. Nothing
  /// is removed; data is kept.
  case paused(reason: String)

  public var count: Int? {
    if case .replicas(let count) = self { return count }
    return nil
  }
}

/// A pod of the StatefulSet as the platform (Kubernetes or the local StatefulSet) shows it.
public struct PodPhase: Sendable, Hashable, Codable {
  public enum State: String, Sendable, Hashable, Codable {
    /// `pending`: the platform has the pod but does not run it (unschedulable, its volume bound
    /// elsewhere, not started yet).
    case running, pending, terminating, absent
  }
  public var ordinal: Int
  public var state: State

  public init(ordinal: Int, state: State) {
    self.ordinal = ordinal
    self.state = state
  }
}
