import Foundation

/// The health of one member, as `etcd-pilot health` reports it.
public struct MemberHealth: Sendable, Hashable, Codable {
  public enum State: String, Sendable, Hashable, Codable {
    /// It answered a read (linearizable for voters, serializable for learners) and has no alarm.
    case healthy
    /// It answered, but could not serve a read, or reports errors or an alarm.
    case unhealthy
    /// It could not be reached at all (or has not started: it publishes no client URL).
    case unreachable
  }

  /// The member ID in hex; empty when not even the member list could be read.
  public var id: String
  public var name: String
  /// The client URL that was checked.
  public var endpoint: String
  public var state: State
  /// Why it is not healthy; empty when it is.
  public var reason: String
  public var isLeader: Bool
  public var isLearner: Bool
  public var version: String
  public var dbSize: Int64
  public var raftTerm: UInt64
  public var raftIndex: UInt64
  public var errors: [String]
  /// How long the check took, in milliseconds.
  public var tookMilliseconds: Int
}

/// The health of a whole cluster.
public struct ClusterHealthReport: Sendable, Hashable, Codable {
  public enum State: String, Sendable, Hashable, Codable {
    /// Every member is healthy.
    case healthy
    /// Some member is not, but a quorum of voters is healthy: the cluster serves.
    case degraded
    /// No quorum of voters is healthy, or nothing could be reached.
    case unavailable
  }

  public var clusterID: String
  public var state: State
  public var members: [MemberHealth]
}

extension EtcdClient {
  /// Checks every member of the cluster: reads the member list from the first endpoint that
  /// answers (all are asked at once), then asks each member at its own client URL for its status
  /// and a read, all at once, each member within `timeout`.
  ///
  /// `reach` can name another endpoint for a member, when its published client URL cannot be
  /// dialed from here (a DNS name only resolvable inside the cluster).
  public func clusterHealth(
    timeout: Duration = .seconds(5), reach: (@Sendable (Member) -> EtcdEndpoint?)? = nil
  ) async throws(EtcdError) -> ClusterHealthReport {
    let (list, answering) = try await firstAnswer("member list", timeout: configuration.dialTimeout ?? timeout) {
      client throws(EtcdError) in
      try await client.memberList(linearizable: false)
    }
    let alarms = (try? await answering.withTimeout(timeout).alarms()) ?? []
    let scheme = answering.preferredEndpoint?.scheme ?? .http
    let checks = await withTaskGroup(of: (Int, MemberHealth).self) { group in
      for (index, member) in list.members.enumerated() {
        group.addTask {
          (index, await self.checkMember(member, scheme: scheme, alarms: alarms, timeout: timeout, reach: reach))
        }
      }
      var results: [(Int, MemberHealth)] = []
      for await result in group { results.append(result) }
      return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
    let members = checks.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    let voters = members.filter { !$0.isLearner }
    let healthyVoters = voters.filter { $0.state == .healthy }.count
    let state: ClusterHealthReport.State =
      if members.allSatisfy({ $0.state == .healthy }) {
        .healthy
      } else if healthyVoters >= voters.count / 2 + 1 {
        .degraded
      } else {
        .unavailable
      }
    return ClusterHealthReport(clusterID: list.header.clusterID.etcdHex, state: state, members: members)
  }

  private func checkMember(
    _ member: Member, scheme: EtcdEndpoint.Scheme, alarms: [Alarm], timeout: Duration,
    reach: (@Sendable (Member) -> EtcdEndpoint?)?
  ) async -> MemberHealth {
    let clock = ContinuousClock()
    let started = clock.now
    var health = MemberHealth(
      id: member.hexID, name: member.name.isEmpty ? "(unstarted)" : member.name, endpoint: "", state: .unreachable,
      reason: "", isLeader: false, isLearner: member.isLearner, version: "", dbSize: 0, raftTerm: 0,
      raftIndex: 0, errors: [], tookMilliseconds: 0)
    func finish() -> MemberHealth {
      let elapsed = clock.now - started
      health.tookMilliseconds = Int(
        elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
      return health
    }
    let urls = member.clientURLs.compactMap { try? EtcdEndpoint(parsing: $0) }
    let published = urls.first(where: { $0.scheme == scheme }) ?? urls.first
    guard let endpoint = member.isStarted ? (reach?(member) ?? published) : nil else {
      health.endpoint = member.peerURLs.first ?? ""
      health.reason = "not started: it publishes no client URL yet"
      return finish()
    }
    health.endpoint = endpoint.description
    // One deadline for the member's two calls.
    let deadline = clock.now + timeout
    let client = pinned(to: endpoint).withTimeout(timeout)
    do {
      let status = try await client.status()
      health.version = status.version
      health.dbSize = status.dbSize
      health.raftTerm = status.raftTerm
      health.raftIndex = status.raftIndex
      health.errors = status.errors
      health.isLeader = status.isLeader
    } catch {
      health.state = .unreachable
      health.reason = error.message
      return finish()
    }
    do throws(EtcdError) {
      // A quorum read proves the member is connected to a leader; learners only serve
      // serializable reads.
      let remaining = deadline - clock.now
      guard remaining > .zero else {
        throw EtcdError(.deadlineExceeded, "deadline exceeded", endpoint: endpoint.description)
      }
      _ = try await client.withTimeout(remaining).get("health", serializable: member.isLearner, countOnly: true)
    } catch  where error.code == .permissionDenied {
      // Auth is on and this user may not read "health": the member answered, which is the point.
    } catch {
      health.state = .unhealthy
      health.reason = error.message
      return finish()
    }
    let raised = alarms.filter { $0.memberID == member.id }.map(\.kind.rawValue)
    if !raised.isEmpty {
      health.state = .unhealthy
      health.reason = "alarm raised: \(raised.joined(separator: ", "))"
    } else if !health.errors.isEmpty {
      health.state = .unhealthy
      health.reason = health.errors.joined(separator: "; ")
    } else {
      health.state = .healthy
    }
    return finish()
  }
}
