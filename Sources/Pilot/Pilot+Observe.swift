import EtcdClient
import Foundation
import Logging
import Membership

extension Pilot {
  /// What an observation found beyond what the engine needs: for carrying out the plan and for
  /// the status page.
  struct Context: Sendable {
    var problem: String?
    /// Client endpoints of every pod that may exist, for calls with no better target.
    var candidates: [EtcdEndpoint]
  }

  /// Builds an observation: replica source, volume, record, etcd, cluster, peers, lock.
  func observe(_ client: EtcdClient) async -> (Observation, Context) {
    // Whether the pod is stopping is read before the desired count: a scale-down changes the
    // count before it signals the pod, so a stop seen here comes with the new count.
    let stopping = stopRequested
    let desired = await replicas.desired()
    let phases = await replicas.podPhases()
    let volumeState: VolumeState
    do {
      volumeState = try volume.state()
    } catch {
      volumeState = .unreadable(error.description)
    }
    let record = await records.read()
    let highest = max(desired.count ?? 0, configuration.ordinal + 1, (phases.map(\.ordinal).max() ?? -1) + 1)
    let pods = (0...highest).map { configuration.pod($0) }
    let me = configuration.identity
    let own = try? EtcdEndpoint(parsing: me.clientURL)
    let candidates = pods.filter { $0.ordinal != configuration.ordinal }.compactMap {
      try? EtcdEndpoint(parsing: $0.clientURL)
    }
    let running = await etcd.isRunning
    // A pod without data is forming or joining and others wait on it: it asks every member at
    // once, with a short deadline, since a starting etcd accepts connections but answers nothing
    // until it is ready. A healthy cluster answers a member list in milliseconds; if not, the
    // pod simply looks again.
    let fresh = !volumeState.hasEtcdData && volumeState.readProblem == nil
    let seen = await ClusterObserver(
      client: client, timeout: fresh ? .milliseconds(500) : .milliseconds(1500), askAllAtOnce: fresh
    ).observe(
      own: own, ownRunning: running, candidates: candidates)
    let etcdState = await etcd.runState(serving: seen.ownServing, memberID: seen.ownMemberID)
    let refusedToken = await probeOwnTokens(client, own: own, seen: seen)
    var peers: [PeerReport] = []
    // Peers matter while this pod has no data, and while its bootstrap has not formed: whether
    // any member of it served decides that it is never given up.
    if volumeState.readProblem == nil,
      !volumeState.hasEtcdData || (volumeState.notes.marker != nil && !volumeState.notes.formed)
    {
      let others = pods.filter { $0.ordinal != configuration.ordinal && $0.ordinal < (desired.count ?? highest) }
      peers = await PeerProbe(timeout: .seconds(1), tls: configuration.tls?.pilotClientFiles).reports(
        of: others, namespace: configuration.namespace, statefulSet: configuration.statefulSet)
    }
    let now = Date().timeIntervalSince1970
    let monotonic = (ContinuousClock.now - started).seconds
    let learnerData = await learnerDataBytes(seen.cluster, pods: pods)
    var settings = configuration.engineSettings
    settings.enablesAuth = configuration.rootPassword != nil
    if let quota = configuration.space.quotaBytes ?? SpaceSettings.quota(in: configuration.etcdArguments) {
      settings.quotaBytes = quota
    }
    var observation = Observation(
      me: me, pods: pods, desired: desired, podPhases: phases, volume: volumeState, record: record,
      cluster: seen.cluster, peers: peers, etcd: etcdState, holdsLock: await lock.isHeld, stopping: stopping,
      now: now, proposalToken: Self.newToken(),
      stalledSeconds: progress.update(seen.cluster, dataBytes: learnerData, now: monotonic),
      largestDBSize: seen.largestDBSize, settings: settings)
    observation.monotonic = monotonic
    observation.etcdVersion = configuration.etcdVersion
    observation.ownRefusedToken = refusedToken
    observation.ownMemberList = seen.ownMembers
    // The consistency check runs beside this loop (``checkConsistencyPeriodically``): it reads
    // what this observation saw, and this observation takes its latest reading — only while
    // this member leads: a reading of another leadership is forgotten.
    if let cluster = seen.cluster, let own = seen.ownMemberID, cluster.leaderID == own {
      leadingView = cluster
    } else {
      leadingView = nil
      consistency = nil
      space = nil
    }
    observation.consistency = consistency
    observation.space = space
    return (observation, Context(problem: seen.problem, candidates: ([own].compactMap { $0 }) + candidates))
  }

  /// For each learner, how many bytes its pod's pilot reports in its etcd's data directory: a
  /// learner receiving a snapshot neither answers nor moves its raft index, but its data grows.
  func learnerDataBytes(_ cluster: ClusterView?, pods: [PodAddress]) async -> [UInt64: Int64] {
    guard let cluster, !cluster.learners.isEmpty else { return [:] }
    let learners = cluster.learners.compactMap { learner in
      pods.first { learner.peerURLs.contains($0.peerURL) }.map { (learner.id, $0) }
    }
    let statuses = await PeerProbe(timeout: .seconds(1), tls: configuration.tls?.pilotClientFiles).statuses(
      of: learners.map(\.1))
    var bytes: [UInt64: Int64] = [:]
    for (id, pod) in learners {
      if let status = statuses[pod.name], let data = status.etcdDataBytes { bytes[id] = data }
    }
    return bytes
  }

  /// With auth, whether this pod's voting etcd refused a freshly issued token
  /// (``Observation/ownRefusedToken``): `false` when it took one or no probe applies, `nil` when
  /// the probe said nothing about tokens.
  func probeOwnTokens(_ client: EtcdClient, own: EtcdEndpoint?, seen: ClusterObserver.Result) async -> Bool? {
    guard configuration.rootPassword != nil, seen.ownServing, let own, let id = seen.ownMemberID,
      let member = seen.cluster?.member(id), !member.isLearner
    else { return false }
    do {
      _ = try await client.pinned(to: own).withTimeout(.seconds(2)).get("etcd-pilot/auth-probe", countOnly: true)
      return false
    } catch  where error.code == .invalidAuthToken {
      return true
    } catch {
      return nil
    }
  }

  /// A random cluster token: `etcd-pilot-` and 16 hex digits.
  static func newToken() -> String {
    "etcd-pilot-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
  }

  /// The status page's contents, refreshed after each decision.
  func publish(_ o: Observation, plan: Plan, context: Context) {
    let role: String
    var ready = false
    var memberID: String?
    switch o.etcd {
    case .running(let serving, let id?, _):
      memberID = String(id, radix: 16)
      if let member = o.cluster?.member(id) {
        role = member.isLearner ? "learner" : (o.cluster?.leaderID == id ? "leader" : "voter")
        ready = serving && member.isVoter && member.isStarted
      } else {
        role = "none"
      }
    default:
      role = "none"
    }
    let etcdText: String =
      switch o.etcd {
      case .stopped: "stopped"
      case .running(let serving, _, _): serving ? "running" : "starting"
      case .exited(let exit): "exited: \(exit)"
      }
    published = PilotStatus(
      namespace: configuration.namespace, statefulSet: configuration.statefulSet, pod: configuration.name,
      uid: configuration.uid, ordinal: configuration.ordinal, clientURL: o.me.clientURL, peerURL: o.me.peerURL,
      fresh: o.volume.isFresh, marker: o.volume.notes.marker, formed: o.volume.notes.formed,
      memberID: memberID ?? o.volume.notes.memberID,
      clusterID: o.volume.notes.clusterID ?? o.cluster.map { String($0.clusterID, radix: 16) },
      etcd: etcdText, role: role, ready: ready, desiredReplicas: o.desired.count,
      members: o.cluster?.members.map {
        "\($0.label)=\($0.hexID)\($0.isLearner ? " (learner)" : "")\($0.isAlive ? "" : " (down)")"
      } ?? [],
      decision: plan.steps.map(\.description).joined(separator: ", "),
      reason: plan.reason.text + (context.problem.map { " [\($0)]" } ?? ""),
      waiting: plan.steps.last == .wait, stopping: o.stopping, etcdRestarts: engine.memory.crashRestarts)
    published?.served = o.volume.notes.served
    published?.reasonKind = plan.reason.kind.rawValue
    if case .refused(let reason) = engine.memory.stranded { published?.operatorNeeded = reason }
    published?.etcdDataBytes = etcdDataBytes()
    if let reading = o.space, let me = o.myMemberID, o.cluster?.leaderID == me {
      published?.space = SpaceStatus(reading, quota: o.settings.quotaBytes, now: o.monotonic, plan: plan)
    }
  }
}

/// Tracks, per member, when it last showed progress — alive with its raft index moving, or (a
/// learner receiving a snapshot) its data growing as its pilot reports — on the pilot's
/// monotonic clock, so the reconciler can tell a dead or stuck learner from a slow one.
final class ProgressTracker: Sendable {
  private struct Seen: Sendable {
    var index: UInt64
    var alive: Bool
    var dataBytes: Int64?
    var since: Double
  }
  private let seen = LockedState<[UInt64: Seen]>([:])
  private let catchUpLag: UInt64

  init(catchUpLag: UInt64) { self.catchUpLag = catchUpLag }

  func update(_ cluster: ClusterView?, dataBytes: [UInt64: Int64] = [:], now: Double) -> [UInt64: Double] {
    guard let cluster else { return [:] }
    return seen.withLock { seen in
      var stalled: [UInt64: Double] = [:]
      var next: [UInt64: Seen] = [:]
      let leaderIndex = cluster.leader?.raftIndex ?? 0
      for member in cluster.members {
        let bytes = dataBytes[member.id]
        var entry =
          seen[member.id] ?? Seen(index: member.raftIndex, alive: member.isAlive, dataBytes: bytes, since: now)
        // Caught up counts as progress: an idle cluster's index does not move.
        let caughtUp = member.raftIndex + catchUpLag >= leaderIndex
        let grew = bytes != nil && bytes != entry.dataBytes
        if grew || (member.isAlive && (member.raftIndex != entry.index || !entry.alive || caughtUp)) {
          entry = Seen(index: member.raftIndex, alive: member.isAlive, dataBytes: bytes, since: now)
        } else if !member.isAlive && entry.alive {
          entry = Seen(index: member.raftIndex, alive: false, dataBytes: bytes, since: now)
        }
        next[member.id] = entry
        stalled[member.id] = now - entry.since
      }
      seen = next
      return stalled
    }
  }
}
