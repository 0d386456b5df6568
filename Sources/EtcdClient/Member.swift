import EtcdAPI

/// A member of an etcd cluster, as the member list shows it.
public struct Member: Sendable, Hashable, Codable {
  public var id: UInt64
  /// Empty until the member has started and published its name.
  public var name: String
  public var peerURLs: [String]
  /// Empty until the member has started.
  public var clientURLs: [String]
  public var isLearner: Bool

  public init(id: UInt64, name: String, peerURLs: [String], clientURLs: [String], isLearner: Bool) {
    self.id = id
    self.name = name
    self.peerURLs = peerURLs
    self.clientURLs = clientURLs
    self.isLearner = isLearner
  }

  init(_ member: Etcdserverpb_Member) {
    self.init(
      id: member.id, name: member.name, peerURLs: member.peerUrls, clientURLs: member.clientUrls,
      isLearner: member.isLearner)
  }

  /// A member that has started publishes its client URLs; one added but never started has none.
  /// (Members of a static bootstrap carry their name before they start.)
  public var isStarted: Bool { !clientURLs.isEmpty }

  /// The ID as etcd prints it: lowercase hexadecimal.
  public var hexID: String { String(id, radix: 16) }
}

extension UInt64 {
  /// A member or cluster ID as etcd prints it.
  public var etcdHex: String { String(self, radix: 16) }
}
