/// Everything the engine decides from: what the pilot saw just now. Built by the pilot's effects
/// (processes, files, gRPC, HTTP); the engine itself does no I/O.
public struct Observation: Sendable {
  /// This pod.
  public var me: PodIdentity
  /// Every pod the StatefulSet may have, by ordinal (at least `0..<desired`).
  public var pods: [PodAddress]
  public var desired: DesiredReplicas
  /// What the platform says of each pod (running, terminating, absent), when known.
  public var podPhases: [PodPhase]
  public var volume: VolumeState
  /// The cluster record; `nil` when absent, `.unknown` reading is modelled as present-unknown.
  public var record: RecordState
  /// The cluster through a linearizable member list; `nil` when no quorum answered.
  public var cluster: ClusterView?
  /// What other pilots report (only asked while this pod has no data).
  public var peers: [PeerReport]
  public var etcd: EtcdRunState
  /// This pilot holds the membership lock.
  public var holdsLock: Bool
  /// SIGTERM arrived: the pod is stopping.
  public var stopping: Bool
  /// Seconds since 1970: for what is recorded (when a cluster formed, when a marker was
  /// proposed), never for how long something took (clocks of pods differ and jump).
  public var now: Double
  /// Seconds on this pilot's monotonic clock: how long things take is measured on it.
  public var monotonic: Double = 0
  /// A new random token, used if this observation leads to proposing a cluster.
  public var proposalToken: String
  /// Seconds since each member last showed progress (alive and its raft index moving), as the
  /// pilot tracked it across observations.
  public var stalledSeconds: [UInt64: Double]
  /// The largest database size among members, for the free-space check before joining.
  public var largestDBSize: Int64
  /// With auth, what this observation's probe of this pod's voting etcd found: `true` when it
  /// refused a freshly issued token, `false` when it took it (or no probe applies), `nil` when
  /// the probe said nothing about tokens.
  public var ownRefusedToken: Bool?
  /// With auth: this pod's etcd refused the pilot's tokens in ``EngineSettings/tokenRefusals``
  /// observations in a row, each freshly issued — its token provider is off (see DESIGN.md,
  /// "Auth after a snapshot"). Remembered by the engine.
  public var ownRejectsTokens = false
  /// With auth: this learner's etcd has run since before it caught up, so it may have caught up
  /// from a snapshot — after which etcd leaves its token provider off until a restart (etcd
  /// issue 13134). Restarted once before the promotion, while that costs no quorum. Remembered
  /// by the engine (``EngineMemory/learnerRestartedForAuth``).
  public var restartLearnerBeforePromotion = false
  /// The member list as this pod's own etcd has applied it, read only when no quorum answered
  /// (a serializable read: etcd answers it without a leader).
  public var ownMemberList: [MemberView]?
  /// How long, in the observations in a row up to this one, this pod's etcd has run with no
  /// quorum answering.
  public var secondsWithoutQuorum: Double = 0
  /// This member's WAL beyond its persisted commit index, once read (``Step/readOwnLog``); the
  /// reading's failure instead, if it failed.
  public var ownLogTail: LogTail?
  public var ownLogProblem: String?
  /// How long, on this pilot's own clock, this volume has held its current unformed bootstrap
  /// marker; `nil` when not tracked (then the marker's proposal time is used).
  public var secondsUnformed: Double?
  /// Where the stranded two-voter procedure stands (``StrandedDecision``), as the engine
  /// remembers it.
  public var stranded: StrandedProgress?
  /// Leadership handoffs that failed in a row, while this pod leaves as the leader.
  public var failedHandoffs = 0
  /// How often this pilot restarted etcd after a crash (``EngineMemory/crashRestarts``).
  public var crashRestarts = 0
  /// The consistency verdict of the reading before ``consistency``, if it found a divergence:
  /// a voter is replaced only when two readings at different revisions agree.
  public var previousDivergence: Divergence?
  /// A cluster that answered but is not this StatefulSet's (``ClusterIdentity``): it is never
  /// acted on, only named in the reasons.
  public var foreignCluster: ClusterView?
  /// How long, on this pilot's clock, the proposal has waited only on pods the platform does not
  /// run (``PodPhase/State/pending`` or absent); `nil` when not so.
  public var secondsWaitingForAbsentPods: Double?
  /// The etcd release this pilot runs (`3.5.1`), when known.
  public var etcdVersion: String?
  /// The last consistency check the pilot beside the leader made (``ConsistencyReading``), if
  /// any; the engine compares only the voters it still lists.
  public var consistency: ConsistencyReading?
  /// Beside the leader: the members' database sizes and the cluster's alarms, when read.
  public var space: SpaceReading?
  /// Whether the engine already compacted for the NOSPACE alarm the reading shows, and to which
  /// revision (``EngineMemory/noSpaceCompactedAt``).
  public var noSpaceCompactedAt: Int64?
  /// The members defragmented since that compaction (``EngineMemory/noSpaceDefragmented``).
  public var noSpaceDefragmented: Set<UInt64> = []
  /// Tunables.
  public var settings: EngineSettings

  public init(
    me: PodIdentity, pods: [PodAddress], desired: DesiredReplicas, podPhases: [PodPhase] = [],
    volume: VolumeState, record: RecordState, cluster: ClusterView?, peers: [PeerReport] = [],
    etcd: EtcdRunState, holdsLock: Bool = false, stopping: Bool = false, now: Double,
    proposalToken: String = "", stalledSeconds: [UInt64: Double] = [:], largestDBSize: Int64 = 0,
    settings: EngineSettings = EngineSettings()
  ) {
    self.me = me
    self.pods = pods
    self.desired = desired
    self.podPhases = podPhases
    self.volume = volume
    self.record = record
    self.cluster = cluster
    self.peers = peers
    self.etcd = etcd
    self.holdsLock = holdsLock
    self.stopping = stopping
    self.now = now
    self.proposalToken = proposalToken
    self.stalledSeconds = stalledSeconds
    self.largestDBSize = largestDBSize
    self.settings = settings
  }

  /// The member this pilot's data is, when known: from etcd while it runs, else from the notes.
  public var myMemberID: UInt64? {
    if case .running(_, let id?, _) = etcd { return id }
    return volume.notes.memberID.flatMap { UInt64($0, radix: 16) } ?? volume.dataIdentity?.memberID
  }

  /// The pod that owns a member: by name, else by peer URL.
  public func owner(of member: MemberView) -> PodAddress? {
    if !member.name.isEmpty, let pod = pods.first(where: { $0.name == member.name }) { return pod }
    return pods.first { pod in member.peerURLs.contains(pod.peerURL) }
  }

  /// True when `member` belongs to a pod the StatefulSet wants now.
  public func isOwned(_ member: MemberView) -> Bool {
    guard let count = desired.count, let pod = owner(of: member) else { return false }
    return pod.ordinal < count
  }

  public func phase(ofOrdinal ordinal: Int) -> PodPhase.State? {
    podPhases.first { $0.ordinal == ordinal }?.state
  }
}

/// What is known of the cluster record.
public enum RecordState: Sendable, Hashable {
  case absent
  case present(ClusterRecord)
  /// It could not be read (API down): treated as present, so nobody bootstraps by mistake.
  case unknown

  public var exists: Bool {
    if case .absent = self { return false }
    return true
  }
}

/// Numbers the engine uses; defaults follow DESIGN.md.
public struct EngineSettings: Sendable, Hashable {
  /// An unformed bootstrap older than this is abandoned.
  public var bootstrapTimeout: Double = 300
  /// A learner within this many raft entries of the leader may be promoted.
  public var promotableLag: UInt64 = 100
  /// etcd's backend quota (`--quota-backend-bytes`; etcd's default, 2 GiB, when not given).
  public var quotaBytes: Int64 = 2 << 30
  /// When a member's database is worth defragmenting.
  public var defragRule = DefragRule()
  /// NOSPACE is disarmed only once every database is this share under the quota.
  public var noSpaceMargin = 0.1
  /// The joiner's etcd must have run this long before its learner is promoted: past the
  /// crashes of a bad start (flags, data, ports), and long enough that the lag read is the
  /// learner's own progress and not the empty log it starts with. etcd itself asks nothing more
  /// of a promotion than a Match of 90% of the leader's and started voters keeping quorum
  /// (`mayPromoteMember`); its 5 s of connection are asked of the *next* add, which waits for
  /// them either way — so a longer wait here only made every join slower.
  public var minimumLearnerUptime: Double = 2
  /// A two-voter cluster scaled to one whose leaving member died before its removal committed
  /// waits this long without quorum before the remaining member continues alone.
  public var strandedAfter: Double = 15
  /// An etcd that has run this long without serving clients is said to wait for a quorum, not
  /// to be starting.
  public var notServingAfter: Double = 30
  /// A learner with no progress for this long is removed by the reconciler.
  public var stalledLearnerTimeout: Double = 300
  /// A stopping leader hands leadership to the best successor first (off only to measure what
  /// that buys: etcd's own stop then transfers it as it can).
  public var handsOffLeadership = true
  /// A leaving leader whose handoff failed this many times in a row asks for its own removal
  /// anyway: etcd lets a leader remove itself (it steps down once the removal applies).
  public var handoffAttempts = 3
  /// With no cluster record and every pod that runs answering fresh, a proposal that has waited
  /// this long on pods the platform does not run forms the cluster without them; they join as
  /// learners when they run.
  public var absentPodTimeout: Double = 120
  /// The cluster turns etcd's auth on once, as it forms (the pilot has a root password).
  public var enablesAuth = false
  /// Fresh tokens refused in this many observations in a row mean etcd's token provider is off
  /// (the client authenticates again once per call before giving up, so one refusal is not it).
  public var tokenRefusals = 3
  /// What the consistency check does with a voter whose data diverged: replace it (remove it,
  /// so that its pod joins again from a fresh copy), or only report it.
  public var replacesDivergedMembers = true

  public init() {}
}
