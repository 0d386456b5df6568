import Crypto
import EtcdAPI
import Foundation
import GRPCCore

/// What one member says about itself.
public struct EndpointStatus: Sendable, Hashable {
  public var header: ResponseHeader
  /// The server's version, e.g. `3.5.1`.
  public var version: String
  /// Size of the backend database in bytes, and the part of it in use.
  public var dbSize: Int64
  public var dbSizeInUse: Int64
  /// The member this one believes is the leader; 0 when it knows none.
  public var leader: UInt64
  public var raftIndex: UInt64
  public var raftTerm: UInt64
  public var raftAppliedIndex: UInt64
  public var errors: [String]
  public var isLearner: Bool

  /// True when the answering member is the leader.
  public var isLeader: Bool { leader != 0 && leader == header.memberID }

  init(_ response: Etcdserverpb_StatusResponse) {
    header = ResponseHeader(response.header)
    version = response.version
    dbSize = response.dbSize
    dbSizeInUse = response.dbSizeInUse
    leader = response.leader
    raftIndex = response.raftIndex
    raftTerm = response.raftTerm
    raftAppliedIndex = response.raftAppliedIndex
    errors = response.errors
    isLearner = response.isLearner
  }
}

/// A raised alarm.
public struct Alarm: Sendable, Hashable {
  public enum Kind: String, Sendable, Hashable {
    case noSpace = "NOSPACE"
    case corrupt = "CORRUPT"
  }
  public var memberID: UInt64
  public var kind: Kind
}

/// The hash of the key-value store at a revision, for comparing members.
public struct HashKVResult: Sendable, Hashable {
  public var header: ResponseHeader
  public var hash: UInt32
  public var compactRevision: Int64
}

/// A snapshot written to disk.
public struct SnapshotResult: Sendable, Hashable {
  public var path: String
  /// Bytes written, including the 32-byte SHA-256 etcd appends.
  public var size: Int64
  /// The SHA-256 of the database, as etcd appended it and as checked here (hex).
  public var sha256: String
}

extension EtcdClient {
  /// The status of the member this client's preferred endpoint reaches; pin the client to ask a
  /// particular member.
  public func status() async throws(EtcdError) -> EndpointStatus {
    let response = try await perform("status", retry: .idempotent) { target in
      try await Etcdserverpb_Maintenance.Client(wrapping: target.connection).status(
        Etcdserverpb_StatusRequest(), metadata: target.metadata, options: target.options)
    }
    return EndpointStatus(response)
  }

  /// Every raised alarm in the cluster.
  public func alarms() async throws(EtcdError) -> [Alarm] {
    var request = Etcdserverpb_AlarmRequest()
    request.action = .get
    request.alarm = .none
    return try await alarmCall(request)
  }

  /// Clears an alarm (after the cause, e.g. a full disk, was fixed); returns the alarms cleared.
  @discardableResult
  public func disarm(_ alarm: Alarm) async throws(EtcdError) -> [Alarm] {
    var request = Etcdserverpb_AlarmRequest()
    request.action = .deactivate
    request.memberID = alarm.memberID
    request.alarm = alarm.kind == .noSpace ? .nospace : .corrupt
    return try await alarmCall(request)
  }

  private func alarmCall(_ request: Etcdserverpb_AlarmRequest) async throws(EtcdError) -> [Alarm] {
    let response = try await perform("alarm", retry: .idempotent) { target in
      try await Etcdserverpb_Maintenance.Client(wrapping: target.connection).alarm(
        request, metadata: target.metadata, options: target.options)
    }
    return response.alarms.compactMap { alarm in
      switch alarm.alarm {
      case .nospace: Alarm(memberID: alarm.memberID, kind: .noSpace)
      case .corrupt: Alarm(memberID: alarm.memberID, kind: .corrupt)
      default: nil
      }
    }
  }

  /// Defragments the backend of the member the preferred endpoint reaches, waiting up to
  /// `timeout` (not the call deadline: etcd rewrites the whole file, which takes longer than a
  /// usual call).
  public func defragment(timeout: Duration = .seconds(120)) async throws(EtcdError) {
    _ = try await perform("defragment", retry: .idempotent) { target in
      var options = target.options
      options.timeout = timeout
      return try await Etcdserverpb_Maintenance.Client(wrapping: target.connection).defragment(
        Etcdserverpb_DefragmentRequest(), metadata: target.metadata, options: options)
    }
  }

  /// The hash of the store up to `revision` (0: the newest) on the member the preferred endpoint
  /// reaches.
  public func hashKV(revision: Int64 = 0) async throws(EtcdError) -> HashKVResult {
    var request = Etcdserverpb_HashKVRequest()
    request.revision = revision
    let response = try await perform("hashKV", retry: .idempotent) { target in
      try await Etcdserverpb_Maintenance.Client(wrapping: target.connection).hashKV(
        request, metadata: target.metadata, options: target.options)
    }
    return HashKVResult(
      header: ResponseHeader(response.header), hash: response.hash, compactRevision: response.compactRevision)
  }

  /// Hands leadership to the member `targetID`. The call goes to the current leader, found from
  /// the status and member list.
  public func moveLeader(to targetID: UInt64) async throws(EtcdError) {
    let leader = try await leaderEndpoint()
    var request = Etcdserverpb_MoveLeaderRequest()
    request.targetID = targetID
    _ = try await pinned(to: leader).perform("move leader", retry: .ifNotSent) { target in
      try await Etcdserverpb_Maintenance.Client(wrapping: target.connection).moveLeader(
        request, metadata: target.metadata, options: target.options)
    }
  }

  /// The client endpoint of the current leader.
  public func leaderEndpoint() async throws(EtcdError) -> EtcdEndpoint {
    let status = try await status()
    guard status.leader != 0 else {
      throw EtcdError(.noLeader, "the cluster has no leader", endpoint: preferredEndpoint?.description)
    }
    let members = try await memberList(linearizable: false).members
    guard let leader = members.first(where: { $0.id == status.leader }) else {
      throw EtcdError(.memberNotFound, "leader \(status.leader.etcdHex) is not in the member list")
    }
    let scheme = preferredEndpoint?.scheme
    let urls = leader.clientURLs.compactMap { try? EtcdEndpoint(parsing: $0) }
    guard let endpoint = urls.first(where: { $0.scheme == scheme }) ?? urls.first else {
      throw EtcdError(.unavailable, "leader \(leader.name) (\(leader.hexID)) publishes no client URL")
    }
    return endpoint
  }

  /// Streams a snapshot of the member's database to `path` and checks the SHA-256 etcd appends.
  ///
  /// The file is written next to `path` (`<path>.part`, mode 0600, locked with `flock` while it
  /// is written) and renamed into place only once complete and checked, so `path` never holds a
  /// partial snapshot; a snapshot that fails or is cancelled leaves no file behind. A `.part`
  /// that nobody holds locked was left by a writer that died. A local file that cannot be
  /// written throws an error whose `cause` is a ``FileSystemError`` (a full disk is not the
  /// member's fault). The result is what `etcdctl snapshot restore` (3.4) or `etcdutl snapshot
  /// restore` (3.5+) takes.
  @discardableResult
  public func snapshot(to path: String) async throws(EtcdError) -> SnapshotResult {
    let partial = path + ".part"
    do {
      return try await streamSnapshot(to: path, through: partial)
    } catch {
      unlink(partial)
      throw error
    }
  }

  private func streamSnapshot(to path: String, through partial: String) async throws(EtcdError) -> SnapshotResult {
    let result = try await perform("snapshot", retry: .idempotent) { target in
      var options = target.options
      options.timeout = nil
      let file = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
      guard file >= 0 else { throw EtcdError.localFile("create", partial, errno) }
      defer { close(file) }
      // Held until the file is closed: retention removes only a .part no writer holds.
      flock(file, LOCK_EX)
      fchmod(file, 0o600)
      return try await Etcdserverpb_Maintenance.Client(wrapping: target.connection).snapshot(
        Etcdserverpb_SnapshotRequest(), metadata: target.metadata, options: options
      ) { response in
        var checksum = TrailingChecksum()
        for try await message in response.messages {
          let failure = message.blob.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int32? in
            var offset = 0
            while offset < bytes.count {
              let written = write(file, bytes.baseAddress! + offset, bytes.count - offset)
              if written < 0 {
                if errno == EINTR { continue }
                return errno
              }
              offset += written
            }
            return nil
          }
          if let failure { throw EtcdError.localFile("write the snapshot to", partial, failure) }
          checksum.consume(message.blob)
        }
        guard fsync(file) == 0 else { throw EtcdError.localFile("sync the snapshot to", partial, errno) }
        return try checksum.verify(endpoint: target.endpoint.description)
      }
    }
    guard rename(partial, path) == 0 else { throw EtcdError.localFile("move the snapshot to", path, errno) }
    return SnapshotResult(path: path, size: result.size, sha256: result.sha256)
  }
}

/// The SHA-256 of a stream whose last 32 bytes are the SHA-256 of everything before them, which
/// is how etcd ends a snapshot.
struct TrailingChecksum {
  private var hasher = SHA256()
  private var tail: [UInt8] = []
  private(set) var size: Int64 = 0

  mutating func consume(_ chunk: Data) {
    size += Int64(chunk.count)
    tail.append(contentsOf: chunk)
    if tail.count > 32 {
      let ready = tail.count - 32
      hasher.update(data: tail[..<ready])
      tail.removeFirst(ready)
    }
  }

  func verify(endpoint: String) throws(EtcdError) -> (size: Int64, sha256: String) {
    let digest = Array(hasher.finalize())
    guard tail.count == 32, digest == tail else {
      throw EtcdError(
        .other, "snapshot is corrupt: its SHA-256 does not match the one the server appended", endpoint: endpoint)
    }
    return (size, digest.map { String(format: "%02x", $0) }.joined())
  }
}
