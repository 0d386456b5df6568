import EtcdClient
import Foundation
import Logging

/// One backup of a cluster into a folder: a snapshot streamed from the leader (another started
/// voter if the leader cannot stream it), checked against the SHA-256 etcd appends, renamed into
/// place only when complete, its ``BackupRecord`` beside it; then the backups beyond the newest
/// `keep` are removed.
///
/// The leader first because it is never behind: before streaming, a linearizable read through
/// the chosen member makes it apply everything committed so far, so the snapshot holds every
/// write acknowledged before the backup began (the record's `revision`).
public struct SnapshotBackup: Sendable {
  public var directory: String
  /// Backup files are named `<prefix>-<UTC time>.db`.
  public var prefix: String
  /// How many backups of `prefix` to keep in the folder, newest first; 0 keeps all.
  public var keep: Int

  public init(directory: String, prefix: String = "etcd", keep: Int = 0) {
    self.directory = directory
    self.prefix = prefix
    self.keep = keep
  }

  /// What a backup produced.
  public struct Result: Sendable {
    public var path: String
    public var record: BackupRecord
    /// Older backups removed to keep `keep` (file names).
    public var removed: [String]
    /// Unfinished files of earlier backups that were killed while writing (`.part`), removed.
    public var removedUnfinished: [String] = []
  }

  /// Checks the options without touching anything: one line for each kind of bad input.
  public func validate() throws(BackupError) {
    guard keep >= 0 else { throw BackupError(.directory, "--keep \(keep) is negative: give 0 (keep all) or more") }
    guard !prefix.isEmpty, !prefix.contains("/"),
      prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
    else {
      throw BackupError(
        .directory, "--prefix '\(prefix)' is not a file name prefix: use letters, digits, '-', '_' or '.'")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
      throw BackupError(.directory, "backup folder \(directory) does not exist: create it or mount a volume there")
    }
    guard isDirectory.boolValue else {
      throw BackupError(.directory, "backup folder \(directory) is a file: give a folder")
    }
    guard access(directory, W_OK) == 0 else {
      throw BackupError(
        .directory, "backup folder \(directory) is not writable by this user (uid \(getuid())): fix its permissions")
    }
  }

  public func take(using etcd: EtcdClient, logger: Logger, now: Date = Date()) async throws(BackupError) -> Result {
    try validate()
    let list: MemberListResult
    let leader: UInt64
    do {
      // Every endpoint at once, one deadline: the first member that answers is asked the rest.
      let (members, answering) = try await etcd.firstAnswer("member list") { client throws(EtcdError) in
        try await client.memberList()
      }
      list = members
      leader = try await answering.status().leader
    } catch {
      throw BackupError(.cluster, "cannot read the cluster's members: \(error)", cause: error)
    }
    // The leader, then the other started voters: a learner may lag, and one never started has
    // no client URL.
    let voters = list.members.filter { !$0.isLearner && $0.isStarted }
    let candidates = voters.filter { $0.id == leader } + voters.filter { $0.id != leader }
    guard !candidates.isEmpty else {
      throw BackupError(.cluster, "the cluster lists no started voter to take a snapshot from")
    }

    let unfinished = removeUnfinished(logger: logger)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let name = BackupRetention.nextName(prefix: prefix, time: Int64(now.timeIntervalSince1970), existing: files)
    let path = (directory as NSString).appendingPathComponent(name.description)
    var failures: [String] = []
    for member in candidates {
      guard let url = member.clientURLs.first, let endpoint = try? EtcdEndpoint(parsing: url) else {
        failures.append("\(member.name): no usable client URL")
        continue
      }
      let pinned = etcd.pinned(to: endpoint)
      do {
        let revision = try await pinned.get(.key("etcd-pilot/backup-barrier"), countOnly: true).header.revision
        let status = try await pinned.status()
        let snapshot = try await pinned.snapshot(to: path)
        let record = BackupRecord(
          file: name.description, size: snapshot.size, sha256: snapshot.sha256,
          clusterID: list.header.clusterID.etcdHex,
          memberID: member.hexID, memberName: member.name, endpoint: url, fromLeader: member.id == leader,
          etcdVersion: status.version, revision: revision, takenAt: ISO8601DateFormatter().string(from: now),
          members: list.members.map { "\($0.name.isEmpty ? "(unstarted)" : $0.name)=\($0.hexID)" })
        logger.info(
          "backup: streamed \(snapshot.size) bytes from \(member.name) at \(url)\(member.id == leader ? " (leader)" : ""), revision ≥ \(revision)"
        )
        try writeRecord(record, besides: path)
        let removed = try removeExpired(keeping: name)
        return Result(path: path, record: record, removed: removed, removedUnfinished: unfinished)
      } catch let error as BackupError {
        throw error
      } catch {
        if Task.isCancelled {
          throw BackupError(
            .interrupted, "the backup was stopped before it was complete; no unfinished file was left", cause: error)
        }
        // The folder's fault, not the member's: asking another member would fail the same way.
        if let problem = (error as? EtcdError)?.cause as? FileSystemError {
          throw BackupError(
            .storage,
            "\(problem.description): no backup was written; free space in \(directory) or choose another --dir",
            cause: problem)
        }
        logger.warning("backup: \(member.name) at \(url) gave no snapshot: \(error)")
        failures.append("\(member.name): \(error)")
      }
    }
    throw BackupError(.cluster, "no member gave a snapshot: " + failures.joined(separator: "; "))
  }

  /// Removes the `.part` files of earlier backups that no writer holds locked (each backup
  /// locks its own while it writes); returns their names.
  private func removeUnfinished(logger: Logger) -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var removed: [String] = []
    for name in BackupRetention.unfinished(files, prefix: prefix) {
      let path = (directory as NSString).appendingPathComponent(name)
      let file = open(path, O_RDONLY | O_CLOEXEC)
      guard file >= 0 else { continue }
      defer { close(file) }
      guard flock(file, LOCK_EX | LOCK_NB) == 0 else {
        logger.info("backup: \(name) is being written by another backup; kept")
        continue
      }
      if unlink(path) == 0 {
        logger.info("backup: removed \(name), left unfinished by a backup that was stopped")
        removed.append(name)
      }
    }
    return removed
  }

  /// Writes the record (mode 0600, as the backup: both may say more than the data's owner
  /// wants others to read) through a temporary file.
  private func writeRecord(_ record: BackupRecord, besides path: String) throws(BackupError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let target = path + ".json"
    let temporary = target + ".part"
    let bytes = Array(((try? encoder.encode(record)) ?? Data()) + Data("\n".utf8))
    let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    var failure: Int32? = file < 0 ? errno : nil
    if file >= 0 {
      fchmod(file, 0o600)
      let written = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
      if written != bytes.count { failure = written < 0 ? errno : ENOSPC } else if fsync(file) != 0 { failure = errno }
      close(file)
    }
    if failure == nil, rename(temporary, target) != 0 { failure = errno }
    if let failure {
      unlink(temporary)
      let problem = FileSystemError("write the record", path: target, errno: failure)
      throw BackupError(.files, "the backup \(path) was written, but \(problem.description)", cause: problem)
    }
    // The new names are durable only once the folder itself is synced.
    let folder = open(directory, O_RDONLY | O_DIRECTORY)
    if folder >= 0 {
      _ = fsync(folder)
      close(folder)
    }
  }

  /// Removes the backups beyond the newest `keep` (and their records), never `written`; returns
  /// their names.
  private func removeExpired(keeping written: BackupName) throws(BackupError) -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var removed: [String] = []
    for name in BackupRetention.expired(files, prefix: prefix, keep: keep, written: written) {
      let path = (directory as NSString).appendingPathComponent(name.description)
      do {
        try FileManager.default.removeItem(atPath: path)
        if FileManager.default.fileExists(atPath: path + ".json") {
          try FileManager.default.removeItem(atPath: path + ".json")
        }
      } catch {
        let reason = FileSystemError("remove", path: path, foundation: error)?.reason ?? "\(error)"
        throw BackupError(
          .files, "the new backup was written, but the old backup \(path) could not be removed: \(reason)", cause: error
        )
      }
      removed.append(name.description)
    }
    return removed
  }
}
