import EtcdAPI
import Foundation

/// A condition of a transaction, on one key (or a range of keys).
///
/// ```swift
/// .version("lock", .equal, 0)          // the key does not exist
/// .value("leader", .equal, "pod-0")
/// .modRevision("config", .less, 42)
/// ```
public struct Compare: Sendable, Hashable {
  public enum Result: Sendable, Hashable {
    case equal, notEqual, greater, less
  }

  enum Target: Sendable, Hashable {
    case version(Int64)
    case createRevision(Int64)
    case modRevision(Int64)
    case value(Data)
    case lease(Int64)
  }

  var range: KeyRange
  var result: Result
  var target: Target

  public static func version(_ key: KeyRange, _ result: Result, _ version: Int64) -> Compare {
    Compare(range: key, result: result, target: .version(version))
  }

  public static func createRevision(_ key: KeyRange, _ result: Result, _ revision: Int64) -> Compare {
    Compare(range: key, result: result, target: .createRevision(revision))
  }

  public static func modRevision(_ key: KeyRange, _ result: Result, _ revision: Int64) -> Compare {
    Compare(range: key, result: result, target: .modRevision(revision))
  }

  public static func value(_ key: KeyRange, _ result: Result, _ value: some EtcdBytes) -> Compare {
    Compare(range: key, result: result, target: .value(value.etcdBytes))
  }

  public static func lease(_ key: KeyRange, _ result: Result, _ lease: Int64) -> Compare {
    Compare(range: key, result: result, target: .lease(lease))
  }

  var proto: Etcdserverpb_Compare {
    var compare = Etcdserverpb_Compare()
    compare.key = range.key
    compare.rangeEnd = range.rangeEnd
    switch result {
    case .equal: compare.result = .equal
    case .notEqual: compare.result = .notEqual
    case .greater: compare.result = .greater
    case .less: compare.result = .less
    }
    switch target {
    case .version(let value):
      compare.target = .version
      compare.version = value
    case .createRevision(let value):
      compare.target = .create
      compare.createRevision = value
    case .modRevision(let value):
      compare.target = .mod
      compare.modRevision = value
    case .value(let value):
      compare.target = .value
      compare.value = value
    case .lease(let value):
      compare.target = .lease
      compare.lease = value
    }
    return compare
  }
}

/// One operation of a transaction branch.
public indirect enum TxnOperation: Sendable {
  case get(KeyRange, limit: Int64 = 0, keysOnly: Bool = false, countOnly: Bool = false)
  case put(Data, Data, lease: Int64 = 0, prevKV: Bool = false)
  case delete(KeyRange, prevKV: Bool = false)
  case txn(compare: [Compare], success: [TxnOperation], failure: [TxnOperation])

  /// A put of text or bytes.
  public static func put(_ key: some EtcdBytes, _ value: some EtcdBytes, lease: Int64 = 0) -> TxnOperation {
    .put(key.etcdBytes, value.etcdBytes, lease: lease, prevKV: false)
  }

  var proto: Etcdserverpb_RequestOp {
    var op = Etcdserverpb_RequestOp()
    switch self {
    case .get(let range, let limit, let keysOnly, let countOnly):
      op.requestRange = EtcdClient.rangeRequest(range, limit: limit, keysOnly: keysOnly, countOnly: countOnly)
    case .put(let key, let value, let lease, let prevKV):
      op.requestPut = EtcdClient.putRequest(key, value, lease: lease, prevKV: prevKV)
    case .delete(let range, let prevKV):
      op.requestDeleteRange = EtcdClient.deleteRequest(range, prevKV: prevKV)
    case .txn(let compare, let success, let failure):
      op.requestTxn = Self.txnRequest(compare: compare, success: success, failure: failure)
    }
    return op
  }

  static func txnRequest(
    compare: [Compare], success: [TxnOperation], failure: [TxnOperation]
  ) -> Etcdserverpb_TxnRequest {
    var request = Etcdserverpb_TxnRequest()
    request.compare = compare.map(\.proto)
    request.success = success.map(\.proto)
    request.failure = failure.map(\.proto)
    return request
  }
}

/// The answer to a transaction.
public struct TxnResult: Sendable {
  /// The answer of one operation of the branch that ran.
  public enum OperationResult: Sendable {
    case get(RangeResult)
    case put(PutResult)
    case delete(DeleteResult)
    case txn(TxnResult)
  }

  public var header: ResponseHeader
  /// True when every comparison held and the `success` branch ran.
  public var succeeded: Bool
  public var responses: [OperationResult]

  init(_ response: Etcdserverpb_TxnResponse) {
    header = ResponseHeader(response.header)
    succeeded = response.succeeded
    responses = response.responses.compactMap { op in
      switch op.response {
      case .responseRange(let range): .get(RangeResult(range))
      case .responsePut(let put):
        .put(PutResult(header: ResponseHeader(put.header), prevKV: put.hasPrevKv ? KeyValue(put.prevKv) : nil))
      case .responseDeleteRange(let delete): .delete(DeleteResult(delete))
      case .responseTxn(let txn): .txn(TxnResult(txn))
      case nil: nil
      }
    }
  }
}
