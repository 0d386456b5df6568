import EtcdAPI
import Foundation

/// Where and when an answer was made: the cluster, the member that answered, the store's
/// revision and the raft term.
public struct ResponseHeader: Sendable, Hashable {
  public var clusterID: UInt64
  public var memberID: UInt64
  public var revision: Int64
  public var raftTerm: UInt64

  init(_ header: Etcdserverpb_ResponseHeader) {
    clusterID = header.clusterID
    memberID = header.memberID
    revision = header.revision
    raftTerm = header.raftTerm
  }
}

/// A stored key with its value and revisions.
public struct KeyValue: Sendable, Hashable {
  public var key: Data
  public var value: Data
  /// The revision of the key's last creation.
  public var createRevision: Int64
  /// The revision of the key's last modification.
  public var modRevision: Int64
  /// How many times the key was written since it was created.
  public var version: Int64
  /// The lease the key is attached to; 0 for none.
  public var lease: Int64

  public init(
    key: Data, value: Data, createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0,
    lease: Int64 = 0
  ) {
    self.key = key
    self.value = value
    self.createRevision = createRevision
    self.modRevision = modRevision
    self.version = version
    self.lease = lease
  }

  init(_ kv: Mvccpb_KeyValue) {
    self.init(
      key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision,
      version: kv.version, lease: kv.lease)
  }

  /// The key as UTF-8 text.
  public var keyString: String { String(decoding: key, as: UTF8.self) }
  /// The value as UTF-8 text.
  public var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// Bytes a key or value can be made from: `String`, `Data` or `[UInt8]`.
public protocol EtcdBytes: Sendable {
  var etcdBytes: Data { get }
}

extension String: EtcdBytes {
  public var etcdBytes: Data { Data(utf8) }
}

extension Substring: EtcdBytes {
  public var etcdBytes: Data { Data(utf8) }
}

extension Data: EtcdBytes {
  public var etcdBytes: Data { self }
}

extension Array: EtcdBytes where Element == UInt8 {
  public var etcdBytes: Data { Data(self) }
}
