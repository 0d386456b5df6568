import EtcdAPI
import Foundation
import GRPCCore

/// The answer to a range read.
public struct RangeResult: Sendable {
  public var header: ResponseHeader
  public var kvs: [KeyValue]
  /// True when `limit` cut the answer short.
  public var more: Bool
  /// How many keys the range holds (all of them, not just the ones returned).
  public var count: Int64
}

/// The answer to a put.
public struct PutResult: Sendable {
  public var header: ResponseHeader
  /// The key's previous value, when asked for with `prevKV`.
  public var prevKV: KeyValue?
}

/// The answer to a delete.
public struct DeleteResult: Sendable {
  public var header: ResponseHeader
  public var deleted: Int64
  public var prevKVs: [KeyValue]
}

extension EtcdClient {
  /// Reads a key or a range of keys.
  ///
  /// - Parameters:
  ///   - range: the key, or `.prefix(...)`, `.range(from:to:)`, `.from(...)`, `.all`.
  ///   - limit: at most this many keys; 0 for no limit.
  ///   - revision: read the store as of this revision; 0 for the newest.
  ///   - serializable: answer from the member asked, without a quorum round (may be stale).
  ///   - keysOnly: leave values out.
  ///   - countOnly: return only the count.
  public func get(
    _ range: KeyRange, limit: Int64 = 0, revision: Int64 = 0, serializable: Bool = false,
    keysOnly: Bool = false, countOnly: Bool = false
  ) async throws(EtcdError) -> RangeResult {
    let request = Self.rangeRequest(
      range, limit: limit, revision: revision, serializable: serializable, keysOnly: keysOnly,
      countOnly: countOnly)
    let response = try await perform("get", retry: .idempotent) { target in
      try await Etcdserverpb_KV.Client(wrapping: target.connection).range(
        request, metadata: target.metadata, options: target.options)
    }
    return RangeResult(response)
  }

  /// Writes `value` at `key`.
  @discardableResult
  public func put(
    _ key: some EtcdBytes, _ value: some EtcdBytes, lease: Int64 = 0, prevKV: Bool = false
  ) async throws(EtcdError) -> PutResult {
    let request = Self.putRequest(key, value, lease: lease, prevKV: prevKV)
    let response = try await perform("put", retry: .ifNotSent) { target in
      try await Etcdserverpb_KV.Client(wrapping: target.connection).put(
        request, metadata: target.metadata, options: target.options)
    }
    return PutResult(
      header: ResponseHeader(response.header), prevKV: response.hasPrevKv ? KeyValue(response.prevKv) : nil)
  }

  /// Deletes a key or a range of keys.
  @discardableResult
  public func delete(_ range: KeyRange, prevKV: Bool = false) async throws(EtcdError) -> DeleteResult {
    let request = Self.deleteRequest(range, prevKV: prevKV)
    let response = try await perform("delete", retry: .ifNotSent) { target in
      try await Etcdserverpb_KV.Client(wrapping: target.connection).deleteRange(
        request, metadata: target.metadata, options: target.options)
    }
    return DeleteResult(response)
  }

  /// Runs a transaction: when every comparison in `compare` holds, the `success` operations run,
  /// otherwise the `failure` ones, all at one revision.
  public func txn(
    if compare: [Compare], then success: [TxnOperation], else failure: [TxnOperation] = []
  ) async throws(EtcdError) -> TxnResult {
    let request = TxnOperation.txnRequest(compare: compare, success: success, failure: failure)
    let response = try await perform("txn", retry: .ifNotSent) { target in
      try await Etcdserverpb_KV.Client(wrapping: target.connection).txn(
        request, metadata: target.metadata, options: target.options)
    }
    return TxnResult(response)
  }

  /// Discards the history before `revision`. With `physical`, waits until the space is freed.
  @discardableResult
  public func compact(revision: Int64, physical: Bool = false) async throws(EtcdError) -> ResponseHeader {
    var request = Etcdserverpb_CompactionRequest()
    request.revision = revision
    request.physical = physical
    let response = try await perform("compact", retry: .ifNotSent) { target in
      try await Etcdserverpb_KV.Client(wrapping: target.connection).compact(
        request, metadata: target.metadata, options: target.options)
    }
    return ResponseHeader(response.header)
  }

  static func rangeRequest(
    _ range: KeyRange, limit: Int64 = 0, revision: Int64 = 0, serializable: Bool = false,
    keysOnly: Bool = false, countOnly: Bool = false
  ) -> Etcdserverpb_RangeRequest {
    var request = Etcdserverpb_RangeRequest()
    request.key = range.key
    request.rangeEnd = range.rangeEnd
    request.limit = limit
    request.revision = revision
    request.serializable = serializable
    request.keysOnly = keysOnly
    request.countOnly = countOnly
    return request
  }

  static func putRequest(
    _ key: some EtcdBytes, _ value: some EtcdBytes, lease: Int64, prevKV: Bool
  ) -> Etcdserverpb_PutRequest {
    var request = Etcdserverpb_PutRequest()
    request.key = key.etcdBytes
    request.value = value.etcdBytes
    request.lease = lease
    request.prevKv = prevKV
    return request
  }

  static func deleteRequest(_ range: KeyRange, prevKV: Bool) -> Etcdserverpb_DeleteRangeRequest {
    var request = Etcdserverpb_DeleteRangeRequest()
    request.key = range.key
    request.rangeEnd = range.rangeEnd
    request.prevKv = prevKV
    return request
  }
}

extension RangeResult {
  init(_ response: Etcdserverpb_RangeResponse) {
    self.init(
      header: ResponseHeader(response.header), kvs: response.kvs.map(KeyValue.init), more: response.more,
      count: response.count)
  }
}

extension DeleteResult {
  init(_ response: Etcdserverpb_DeleteRangeResponse) {
    self.init(
      header: ResponseHeader(response.header), deleted: response.deleted,
      prevKVs: response.prevKvs.map(KeyValue.init))
  }
}
