import EtcdAPI
import GRPCCore

/// The member list and who answered it.
public struct MemberListResult: Sendable {
  public var header: ResponseHeader
  public var members: [Member]
}

/// The answer to a member add: the new member (not started yet) and the new list.
public struct MemberAddResult: Sendable {
  public var header: ResponseHeader
  public var member: Member
  public var members: [Member]
}

extension EtcdClient {
  /// The cluster's members.
  ///
  /// With `linearizable` (the default) the list reflects every membership change committed
  /// before the call: 3.5+ servers do so themselves; for 3.4, which answers from its applied
  /// state, a quorum read on the same endpoint comes first, so that member has applied
  /// everything committed until then.
  public func memberList(linearizable: Bool = true) async throws(EtcdError) -> MemberListResult {
    var request = Etcdserverpb_MemberListRequest()
    request.linearizable = linearizable
    let barrier = Self.rangeRequest(.key("etcd-pilot/member-list-barrier"), countOnly: true)
    let response = try await perform("member list", retry: .idempotent) { target in
      if linearizable {
        _ = try await Etcdserverpb_KV.Client(wrapping: target.connection).range(
          barrier, metadata: target.metadata, options: target.options)
      }
      return try await Etcdserverpb_Cluster.Client(wrapping: target.connection).memberList(
        request, metadata: target.metadata, options: target.options)
    }
    return MemberListResult(header: ResponseHeader(response.header), members: response.members.map(Member.init))
  }

  /// Adds a member with `peerURLs`, as a learner (non-voting) or a voter.
  public func memberAdd(peerURLs: [String], asLearner: Bool) async throws(EtcdError) -> MemberAddResult {
    var request = Etcdserverpb_MemberAddRequest()
    request.peerUrls = peerURLs
    request.isLearner = asLearner
    let response = try await perform("member add", retry: .ifNotSent) { target in
      try await Etcdserverpb_Cluster.Client(wrapping: target.connection).memberAdd(
        request, metadata: target.metadata, options: target.options)
    }
    return MemberAddResult(
      header: ResponseHeader(response.header), member: Member(response.member),
      members: response.members.map(Member.init))
  }

  /// Removes a member; returns the remaining members.
  @discardableResult
  public func memberRemove(id: UInt64) async throws(EtcdError) -> [Member] {
    var request = Etcdserverpb_MemberRemoveRequest()
    request.id = id
    let response = try await perform("member remove", retry: .ifNotSent) { target in
      try await Etcdserverpb_Cluster.Client(wrapping: target.connection).memberRemove(
        request, metadata: target.metadata, options: target.options)
    }
    return response.members.map(Member.init)
  }

  /// Changes a member's peer URLs.
  @discardableResult
  public func memberUpdate(id: UInt64, peerURLs: [String]) async throws(EtcdError) -> [Member] {
    var request = Etcdserverpb_MemberUpdateRequest()
    request.id = id
    request.peerUrls = peerURLs
    let response = try await perform("member update", retry: .ifNotSent) { target in
      try await Etcdserverpb_Cluster.Client(wrapping: target.connection).memberUpdate(
        request, metadata: target.metadata, options: target.options)
    }
    return response.members.map(Member.init)
  }

  /// Makes a learner a voting member. etcd refuses with `learnerNotReady` while the learner's log
  /// is behind; it does *not* check that the learner is alive.
  ///
  /// The call goes to the leader. A follower would forward it over the peer API without the
  /// caller's credentials: with auth on, the leader refuses that ("user name is empty") and the
  /// follower retries until its request timeout.
  @discardableResult
  public func memberPromote(id: UInt64) async throws(EtcdError) -> [Member] {
    var request = Etcdserverpb_MemberPromoteRequest()
    request.id = id
    let leader = try await leaderEndpoint()
    let response = try await pinned(to: leader).perform("member promote", retry: .ifNotSent) { target in
      try await Etcdserverpb_Cluster.Client(wrapping: target.connection).memberPromote(
        request, metadata: target.metadata, options: target.options)
    }
    return response.members.map(Member.init)
  }
}
