import EtcdClient
import Membership

/// One reading of every member at its own client URL, for `defrag` and `alarms`: the member
/// list from the first endpoint that answers, the cluster's alarms, then each member's status
/// (and, for `defrag`, a quorum read), all members at once.
struct ClusterReading {
  struct Entry {
    var member: Member
    /// Where it was asked; `nil` for a member that never started.
    var endpoint: EtcdEndpoint?
    var status: EndpointStatus?
    /// Why it is not healthy; empty when it is.
    var problem: String
    /// True when it answered its status but not a quorum read.
    var answeredStatus: Bool

    var label: String { "member \(member.hexID) (\(member.name.isEmpty ? "unstarted" : member.name))" }
  }

  var members: [Entry]
  var alarms: [Alarm]
  /// Why the alarms could not be read (etcd answers them through raft: not during an
  /// election); the reading goes on, so that a member down is what a refusal names.
  var alarmsError: EtcdError?
  /// A client pinned to the endpoint that answered the member list.
  var answering: EtcdClient

  /// Reads the cluster through `client` (made from `configuration`), each call within its
  /// deadline; with `quorumReads`, each member that answers its status is also asked for a
  /// linearizable read (a member cut off from the leader answers its status but not that).
  static func read(
    using client: EtcdClient, _ configuration: EtcdClientConfiguration, quorumReads: Bool
  ) async throws(EtcdError) -> ClusterReading {
    let timeout = configuration.callTimeout
    let (list, answering) = try await client.firstAnswer("member list", timeout: configuration.dialTimeout ?? timeout) {
      client throws(EtcdError) in
      try await client.memberList(linearizable: false)
    }
    var alarms: [Alarm] = []
    var alarmsError: EtcdError?
    do {
      alarms = try await answering.withTimeout(timeout).alarms()
    } catch {
      alarmsError = error
    }
    // The scheme the user gave: a member may publish both.
    let scheme = configuration.endpoints.first?.scheme ?? .http
    let entries = await withTaskGroup(of: (Int, Entry).self) { group in
      for (index, member) in list.members.enumerated() {
        group.addTask {
          (index, await read(member, scheme: scheme, using: client, timeout: timeout, quorumRead: quorumReads))
        }
      }
      var results: [(Int, Entry)] = []
      for await result in group { results.append(result) }
      return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
    return ClusterReading(members: entries, alarms: alarms, alarmsError: alarmsError, answering: answering)
  }

  /// The client URL of `member` in the scheme the user gave (a member may publish both).
  static func endpoint(of member: Member, scheme: EtcdEndpoint.Scheme) -> EtcdEndpoint? {
    let urls = member.clientURLs.compactMap { try? EtcdEndpoint(parsing: $0) }
    return urls.first { $0.scheme == scheme } ?? urls.first
  }

  private static func read(
    _ member: Member, scheme: EtcdEndpoint.Scheme, using client: EtcdClient, timeout: Duration, quorumRead: Bool
  ) async -> Entry {
    var entry = Entry(member: member, endpoint: nil, status: nil, problem: "", answeredStatus: false)
    guard member.isStarted, let endpoint = endpoint(of: member, scheme: scheme) else {
      entry.problem = "not started: it publishes no client URL yet"
      return entry
    }
    entry.endpoint = endpoint
    let pinned = client.pinned(to: endpoint).withTimeout(timeout)
    do {
      entry.status = try await pinned.status()
      entry.answeredStatus = true
    } catch {
      entry.problem = error.message
      return entry
    }
    if entry.status?.leader == 0 {
      entry.problem = "it knows no leader"
      return entry
    }
    guard quorumRead else { return entry }
    do throws(EtcdError) {
      _ = try await pinned.get("health", serializable: member.isLearner, countOnly: true)
    } catch  where error.code == .permissionDenied {
      // Auth is on and this user may not read "health": the member answered, which is the point.
    } catch {
      entry.problem = error.message
    }
    return entry
  }

  /// The reading as the pass's planner takes it.
  var passMembers: [DefragPass.Member] {
    members.map { entry in
      let health: DefragPass.Member.Health =
        if entry.problem.isEmpty {
          .healthy
        } else if entry.answeredStatus {
          .unhealthy(entry.problem)
        } else {
          .unreachable(entry.problem)
        }
      return DefragPass.Member(
        id: entry.member.id, name: entry.member.name,
        endpoint: entry.endpoint?.description ?? entry.member.peerURLs.first ?? "", isLearner: entry.member.isLearner,
        health: health,
        space: entry.status.map { .init(dbSize: $0.dbSize, dbSizeInUse: $0.dbSizeInUse) },
        raftIndex: entry.status?.raftIndex ?? 0, leader: entry.status?.leader ?? 0)
    }
  }

  /// The alarms as the planners take them.
  var spaceAlarms: [SpaceReading.Alarm] {
    alarms.map { SpaceReading.Alarm(memberID: $0.memberID, kind: $0.kind == .noSpace ? .noSpace : .corrupt) }
  }

  /// `member <hex> (<name>)` for an alarm's member, also one no longer in the list.
  func label(of id: UInt64) -> String {
    members.first { $0.member.id == id }?.label ?? "member \(id.etcdHex) (not in the member list)"
  }
}
