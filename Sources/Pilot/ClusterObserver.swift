import EtcdClient
import Membership

/// Looks at the cluster the way the engine needs it: a linearizable member list from any member
/// that answers, then every member's own status, all at once and each within a short deadline.
struct ClusterObserver: Sendable {
  let client: EtcdClient
  let timeout: Duration

  struct Result: Sendable {
    var cluster: ClusterView?
    /// This pod's etcd answered on its own client URL, as member `memberID`.
    var ownServing: Bool
    var ownMemberID: UInt64?
    var largestDBSize: Int64
    /// Why no cluster view could be made, for the status page.
    var problem: String?
  }

  func observe(own: EtcdEndpoint?, ownRunning: Bool, candidates: [EtcdEndpoint]) async -> Result {
    var result = Result(cluster: nil, ownServing: false, ownMemberID: nil, largestDBSize: 0, problem: nil)
    if ownRunning, let own {
      if let status = try? await client.pinned(to: own).withTimeout(timeout).status() {
        result.ownServing = true
        result.ownMemberID = status.header.memberID
      }
    }
    var endpoints = candidates
    if result.ownServing, let own { endpoints.removeAll { $0 == own }; endpoints.insert(own, at: 0) }
    guard !endpoints.isEmpty else { return result }
    let list: MemberListResult
    do {
      // A member without a leader refuses at once: while a cluster forms, its first member's
      // etcd has no leader until the others start, and they wait on this observation.
      list = try await client.using(endpoints: endpoints).withTimeout(timeout).requiringLeader().memberList(linearizable: true)
    } catch {
      result.problem = "no quorum answered the member list: \(error.message)"
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
        raftIndex: statuses[member.id]?.raftIndex ?? 0)
    }
    let leader = statuses.values.first(where: \.isLeader)?.header.memberID
      ?? statuses.values.map(\.leader).first { $0 != 0 }
    result.largestDBSize = statuses.values.map(\.dbSize).max() ?? 0
    result.cluster = ClusterView(clusterID: list.header.clusterID, members: members, leaderID: leader)
    return result
  }
}
