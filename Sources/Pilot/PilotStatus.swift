import Membership

/// What a pilot publishes on `/status`: its identity (so a stale DNS answer cannot vote in the
/// bootstrap), its volume's state, what it observed, and its last decision with the reason.
public struct PilotStatus: Sendable, Codable, Hashable {
  public var namespace: String
  public var statefulSet: String
  public var pod: String
  public var uid: String
  public var ordinal: Int
  public var clientURL: String
  public var peerURL: String
  /// The whole volume holds nothing the pilot uses yet.
  public var fresh: Bool
  public var marker: BootstrapMarker?
  public var formed: Bool
  public var memberID: String?
  public var clusterID: String?
  /// `stopped`, `starting`, `running`, or `exited: <why>`.
  public var etcd: String
  /// `leader`, `voter`, `learner` or `none`.
  public var role: String
  /// etcd serves and this member is a started voter.
  public var ready: Bool
  public var desiredReplicas: Int?
  public var members: [String]
  /// The last decision and its reason; `waiting` tells what it waits for.
  public var decision: String
  public var reason: String
  /// The decision's kind (``Reason/Kind``'s raw value, e.g. `learnerBehind`): what tools and
  /// alerts compare; `reason` is its prose. Absent from pilots before 0.3.
  public var reasonKind: String?
  public var waiting: Bool
  public var stopping: Bool
  public var etcdRestarts: Int
  /// This pod's etcd served clients at least once (``PilotNotes/served``).
  public var served: Bool?
  /// What this pilot waits for a person to do, when it will not go on alone (the stranded
  /// two-voter case it refused); `nil` otherwise.
  public var operatorNeeded: String?
  /// The members' space and what is done about it: from the pilot beside the leader only.
  public var space: SpaceStatus?
  /// Bytes in etcd's snapshot directory: they grow while a joining learner receives a snapshot.
  public var etcdDataBytes: Int64?

  /// The part of the status other pilots use.
  public var peerReport: PeerReport {
    PeerReport(
      name: pod, ordinal: ordinal, uid: uid, statefulSet: statefulSet, namespace: namespace, fresh: fresh,
      marker: marker, formed: formed, memberID: memberID, served: served ?? false, clusterID: formed ? clusterID : nil)
  }
}
