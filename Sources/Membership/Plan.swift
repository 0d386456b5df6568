/// What the pilot must do now: steps in order, each with its reason, for the log.
public struct Plan: Sendable, Hashable, CustomStringConvertible {
  public var steps: [Step]
  public var reason: Reason
  /// What the engine must remember of this decision.
  var memo: PlanMemo?

  public init(_ steps: [Step], because reason: Reason) {
    self.steps = steps
    self.reason = reason
  }

  public init(_ steps: [Step], because kind: Reason.Kind, _ text: String) {
    self.init(steps, because: Reason(kind, text))
  }

  init(_ steps: [Step], because kind: Reason.Kind, _ text: String, remembering memo: PlanMemo) {
    self.init(steps, because: kind, text)
    self.memo = memo
  }

  public static func wait(_ kind: Reason.Kind, _ text: String) -> Plan { Plan([.wait], because: kind, text) }

  /// Nothing left to do: the pilot may exit (only while stopping).
  public static func done(_ kind: Reason.Kind, _ text: String) -> Plan { Plan([], because: kind, text) }

  public var description: String {
    steps.isEmpty ? "done: \(reason)" : "\(steps.map(\.description).joined(separator: ", ")): \(reason)"
  }

  /// True when the plan changes membership (add, remove, promote, update).
  public var changesMembership: Bool { steps.contains(where: \.changesMembership) }
}

/// How etcd is to be started.
public struct EtcdStart: Sendable, Hashable {
  public enum ClusterState: String, Sendable, Hashable {
    case new, existing
  }
  public var state: ClusterState
  /// `--initial-cluster`: name=peerURL,...; empty when etcd starts from its own data.
  public var initialCluster: String
  /// `--initial-cluster-token`; empty when etcd starts from its own data.
  public var token: String
  /// `--force-new-cluster`: etcd starts from its data as the only member (see
  /// ``StrandedDecision`` for the one case the engine asks for it).
  public var forceNewCluster: Bool

  public init(state: ClusterState, initialCluster: String, token: String, forceNewCluster: Bool = false) {
    self.state = state
    self.initialCluster = initialCluster
    self.token = token
    self.forceNewCluster = forceNewCluster
  }

  /// Restart from the data on the volume: the flags are ignored by etcd then.
  public static let fromData = EtcdStart(state: .existing, initialCluster: "", token: "")
}

/// One thing the pilot does.
public enum Step: Sendable, Hashable, CustomStringConvertible {
  case startEtcd(EtcdStart)
  /// Write a bootstrap marker to the volume (and publish it on /status).
  case writeMarker(BootstrapMarker)
  /// Turn on etcd's auth (root user and role, then auth): once, as the cluster forms.
  case enableAuth
  /// Create the cluster record unless one exists (an existing record is never replaced).
  case createRecord(ClusterRecord)
  /// Note on the volume that its cluster formed, with the cluster's token when known.
  case noteFormed(token: String?)
  case acquireLock
  case releaseLock
  /// Add this pod as a learner, then start etcd `existing` with the member list the engine
  /// builds from the answer (``JoinDecision/initialCluster(after:me:)``).
  case addLearner
  case promote(memberID: UInt64)
  case removeMember(memberID: UInt64, name: String)
  /// Move etcd's data (and the marker) aside with a timestamp; never delete. `redundant` when
  /// the cluster held every committed entry without this member when it was moved (see
  /// ``AsideCopy/redundant``). etcd must not be running.
  case moveDataAside(reason: String, redundant: Bool)
  case moveLeader(to: UInt64)
  /// Wait this long before the next step, unless a stop arrives: etcd crashed, and starting it
  /// again at once would spin (``ExitDecision/crashBackoff(after:)``).
  case backOff(seconds: Double)
  /// Stop etcd gracefully, keeping its data.
  case stopEtcd
  /// Stop this caught-up learner's etcd, keeping its data, so that it starts again with its
  /// token provider on before the promotion (etcd issue 13134); once per pilot.
  case restartLearnerForAuth
  /// Stop etcd gracefully and report whether it exited on SIGTERM within its grace: before the
  /// WAL is read for ``StrandedDecision`` (a closed WAL is synced; a killed etcd's may lack its
  /// last commit index).
  case stopEtcdBeforeForcing
  /// Start the stopped etcd on its data with `--force-new-cluster`, leaving behind the named
  /// member, which can never return to finish its removal.
  case forceNewCluster(removing: String)
  /// Read this member's WAL for what lies beyond its commit index (see ``LogTail``); the
  /// outcome is remembered by the engine.
  case readOwnLog
  /// Defragment this member's database (beside the leader, under the membership lock).
  case defragment(memberID: UInt64)
  /// Compact the cluster's history up to this revision (NOSPACE recovery; physical).
  case compact(revision: Int64)
  /// Disarm every NOSPACE alarm.
  case disarmNoSpace
  /// Delete these aside copies (all redundant) to make room for a join.
  case deleteAsideCopies([String])
  /// Note on the volume which member of which cluster this data is, and that etcd served.
  case noteMember(memberID: UInt64, clusterID: UInt64)
  /// Nothing to do now; look again soon.
  case wait
  /// Stop the pilot with a non-zero exit and this message (bad data of another cluster, ...).
  case fail(String)

  /// True for the steps that start etcd.
  public var startsEtcd: Bool {
    switch self {
    case .startEtcd, .forceNewCluster: true
    default: false
    }
  }

  public var changesMembership: Bool {
    switch self {
    case .addLearner, .promote, .removeMember: true
    default: false
    }
  }

  /// True for the steps done under the membership lock: the changes, and a defragmentation
  /// (one member at a time across the cluster).
  public var needsLock: Bool { changesMembership || { if case .defragment = self { true } else { false } }() }

  public var description: String {
    switch self {
    case .startEtcd(let start): "start etcd (\(start.state.rawValue)\(start.token.isEmpty ? ", from data" : ""))"
    case .writeMarker(let marker): "write bootstrap marker \(marker.token)"
    case .enableAuth: "enable auth"
    case .createRecord: "write the cluster record"
    case .noteFormed: "note the formation on the volume"
    case .acquireLock: "acquire the membership lock"
    case .releaseLock: "release the membership lock"
    case .addLearner: "add this pod as a learner"
    case .promote(let id): "promote \(String(id, radix: 16))"
    case .removeMember(let id, let name): "remove member \(name) (\(String(id, radix: 16)))"
    case .moveDataAside(let reason, _): "move data aside (\(reason))"
    case .moveLeader(let id): "move leadership to \(String(id, radix: 16))"
    case .backOff(let seconds): "back off \(Int(seconds)) s"
    case .stopEtcd: "stop etcd, keeping its data"
    case .restartLearnerForAuth: "stop the learner's etcd to restart it with auth before its promotion"
    case .stopEtcdBeforeForcing: "stop etcd gracefully, keeping its data"
    case .forceNewCluster(let name): "start etcd alone with --force-new-cluster, leaving \(name) behind"
    case .readOwnLog: "read this member's WAL"
    case .defragment(let id): "defragment \(String(id, radix: 16))"
    case .compact(let revision): "compact to revision \(revision)"
    case .disarmNoSpace: "disarm NOSPACE"
    case .deleteAsideCopies(let names): "delete aside copies \(names.joined(separator: ", "))"
    case .noteMember(let id, let cluster):
      "note member \(String(id, radix: 16)) of cluster \(String(cluster, radix: 16))"
    case .wait: "wait"
    case .fail(let message): "fail: \(message)"
    }
  }
}
