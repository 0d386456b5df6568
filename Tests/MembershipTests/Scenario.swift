import Membership

/// Builds observations for the engine's tests: pods `etcd-0…`, members with IDs 100+ordinal.
struct Scenario {
  var size: Int
  var desired: DesiredReplicas
  var me: Int

  init(pods size: Int = 3, desired: Int? = nil, me: Int = 0) {
    self.size = size
    self.desired = .replicas(desired ?? size)
    self.me = me
  }

  static func name(_ ordinal: Int) -> String { "etcd-\(ordinal)" }
  static func peerURL(_ ordinal: Int) -> String { "http://etcd-\(ordinal).etcd:2380" }
  static func clientURL(_ ordinal: Int) -> String { "http://etcd-\(ordinal).etcd:2379" }
  static func id(_ ordinal: Int) -> UInt64 { UInt64(100 + ordinal) }

  var pods: [PodAddress] {
    (0..<max(size, 8)).map {
      PodAddress(
        name: Self.name($0), ordinal: $0, peerURL: Self.peerURL($0), clientURL: Self.clientURL($0),
        pilotURL: "http://etcd-\($0).etcd:2390")
    }
  }

  var identity: PodIdentity {
    PodIdentity(name: Self.name(me), ordinal: me, peerURL: Self.peerURL(me), clientURL: Self.clientURL(me))
  }

  /// A started voter (or learner) of pod `ordinal`.
  static func member(
    _ ordinal: Int, alive: Bool = true, learner: Bool = false, started: Bool = true, index: UInt64 = 1000
  )
    -> MemberView
  {
    MemberView(
      id: id(ordinal), name: started ? name(ordinal) : "", peerURLs: [peerURL(ordinal)],
      clientURLs: started ? [clientURL(ordinal)] : [], isLearner: learner, isAlive: alive && started,
      raftIndex: index)
  }

  /// A cluster of the given members with `leader` leading.
  static func cluster(_ members: [MemberView], leader: Int? = 0) -> ClusterView {
    ClusterView(clusterID: 0xc1, members: members, leaderID: leader.map(id))
  }

  static func healthy(_ count: Int, leader: Int = 0) -> ClusterView {
    cluster((0..<count).map { member($0) }, leader: leader)
  }

  static let record = ClusterRecord(token: "t-formed", clusterID: "c1", memberIDs: ["64", "65", "66"], formedAt: 1)

  func observe(
    volume: VolumeState = VolumeState(hasEtcdData: false), record: RecordState = .absent,
    cluster: ClusterView? = nil, peers: [PeerReport] = [], etcd: EtcdRunState = .stopped, holdsLock: Bool = false,
    stopping: Bool = false, phases: [PodPhase] = [], now: Double = 1000, stalled: [UInt64: Double] = [:],
    upToDate: Bool = true
  ) -> Observation {
    var volume = volume
    // With `upToDate`, a pod whose etcd runs on its data is as the pilot keeps it: its WAL names
    // the member and cluster, its notes say so and that etcd served.
    if upToDate, case .running(true, let id?, _) = etcd, let cluster {
      volume.dataIdentity = volume.dataIdentity ?? DataIdentity(memberID: id, clusterID: cluster.clusterID)
      volume.notes.memberID = volume.notes.memberID ?? String(id, radix: 16)
      volume.notes.clusterID = volume.notes.clusterID ?? String(cluster.clusterID, radix: 16)
      volume.notes.served = true
    }
    return Observation(
      me: identity, pods: pods, desired: desired, podPhases: phases, volume: volume, record: record,
      cluster: cluster, peers: peers, etcd: etcd, holdsLock: holdsLock, stopping: stopping, now: now,
      proposalToken: "t-new", stalledSeconds: stalled)
  }

  /// `/status` of pod `ordinal` answering fresh.
  static func fresh(_ ordinal: Int, uid: String? = nil) -> PeerReport {
    PeerReport(
      name: name(ordinal), ordinal: ordinal, uid: uid ?? "uid-\(ordinal)", statefulSet: "etcd", namespace: "default",
      fresh: true)
  }

  static func marker(_ ordinals: [Int], token: String = "t-marker", at time: Double = 990) -> BootstrapMarker {
    BootstrapMarker(
      token: token, members: ordinals.map { .init(name: name($0), ordinal: $0, peerURL: peerURL($0)) }, proposedAt: time
    )
  }

  static func running(_ ordinal: Int, up: Double = 60) -> EtcdRunState {
    .running(serving: true, memberID: id(ordinal), secondsUp: up)
  }
}

extension Plan {
  var first: Step? { steps.first }
  var isWait: Bool { steps == [.wait] || steps.last == .wait }
}
