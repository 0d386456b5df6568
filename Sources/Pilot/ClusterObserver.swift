import EtcdClient
import Membership

/// Looks at the cluster the way the engine needs it: a linearizable member list from any member
/// that answers, then every member's own status, all at once and each within a short deadline.
struct ClusterObserver: Sendable {
  let client: EtcdClient
  let timeout: Duration
  /// Ask every endpoint for the member list at once (a pod without data, which others wait on).
  var askAllAtOnce = false

  struct Result: Sendable {
    var cluster: ClusterView?
    /// This pod's etcd answered on its own client URL, as member `memberID`.
    var ownServing: Bool
    var ownMemberID: UInt64?
    /// When no quorum answered: the member list as this pod's etcd has applied it.
    var ownMembers: [MemberView]?
    var largestDBSize: Int64
    /// Why no cluster view could be made, for the status page.
    var problem: String?
  }

  /// A linearizable member list. A member without a leader refuses at once (while a cluster
  /// forms, the first members' etcd has no leader until the others start, and they wait on this
  /// observation). With `askAllAtOnce`, every endpoint is asked together and the first answer
  /// counts: a starting etcd accepts connections but answers nothing until it is ready, and
  /// asking one after the other would add up their deadlines.
  private func memberList(from endpoints: [EtcdEndpoint]) async throws(EtcdError) -> MemberListResult {
    let client = client.withTimeout(timeout).requiringLeader()
    guard askAllAtOnce, endpoints.count > 1 else {
      return try await client.using(endpoints: endpoints).memberList(linearizable: true)
    }
    let outcome = await withTaskGroup(of: Swift.Result<MemberListResult, EtcdError>.self) { group in
      for endpoint in endpoints {
        group.addTask {
          do throws(EtcdError) {
            return .success(try await client.pinned(to: endpoint).memberList(linearizable: true))
          } catch {
            return .failure(error)
          }
        }
      }
      var failures: [EtcdError] = []
      for await outcome in group {
        switch outcome {
        case .success(let list):
          group.cancelAll()
          return Swift.Result<MemberListResult, EtcdError>.success(list)
        case .failure(let error):
          failures.append(error)
        }
      }
      var last = failures.last ?? EtcdError(.unavailable, "no endpoint to ask")
      last.message = failures.map { "\($0.endpoint ?? "?"): \($0.message)" }.joined(separator: "; ")
      return .failure(last)
    }
    return try outcome.get()
  }

  func observe(own: EtcdEndpoint?, ownRunning: Bool, candidates: [EtcdEndpoint]) async -> Result {
    var result = Result(
      cluster: nil, ownServing: false, ownMemberID: nil, ownMembers: nil, largestDBSize: 0, problem: nil)
    if ownRunning, let own {
      if let status = try? await client.pinned(to: own).withTimeout(timeout).status() {
        result.ownServing = true
        result.ownMemberID = status.header.memberID
      }
    }
    var endpoints = candidates
    if result.ownServing, let own {
      endpoints.removeAll { $0 == own }
      endpoints.insert(own, at: 0)
    }
    guard !endpoints.isEmpty else { return result }
    let list: MemberListResult
    do {
      list = try await memberList(from: endpoints)
    } catch {
      result.problem = "no quorum answered the member list: \(error.message)"
      if result.ownServing, let own,
        let local = try? await client.pinned(to: own).withTimeout(timeout).memberList(linearizable: false)
      {
        result.ownMembers = local.members.map {
          MemberView(
            id: $0.id, name: $0.name, peerURLs: $0.peerURLs, clientURLs: $0.clientURLs, isLearner: $0.isLearner)
        }
      }
      return result
    }
    let statuses = await withTaskGroup(of: (UInt64, EndpointStatus?).self) { group in
      for member in list.members {
        let endpoint = member.clientURLs.compactMap { try? EtcdEndpoint(parsing: $0) }.first
        group.addTask {
          guard let endpoint else { return (member.id, nil) }
          return (member.id, try? await client.pinned(to: endpoint).withTimeout(timeout).status())
        }
      }
      var statuses: [UInt64: EndpointStatus] = [:]
      for await (id, status) in group { if let status { statuses[id] = status } }
      return statuses
    }
    let members = list.members.map { member in
      MemberView(
        id: member.id, name: member.name, peerURLs: member.peerURLs, clientURLs: member.clientURLs,
        isLearner: member.isLearner, isAlive: statuses[member.id] != nil,
        raftIndex: statuses[member.id]?.raftIndex ?? 0, version: statuses[member.id]?.version)
    }
    let leader =
      statuses.values.first(where: \.isLeader)?.header.memberID
      ?? statuses.values.map(\.leader).first { $0 != 0 }
    result.largestDBSize = statuses.values.map(\.dbSize).max() ?? 0
    result.cluster = ClusterView(clusterID: list.header.clusterID, members: members, leaderID: leader)
    return result
  }
}
