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
  }

  /// Checks the options without touching anything: one line for each kind of bad input.
  public func validate() throws(BackupError) {
    guard keep >= 0 else { throw BackupError(.directory, "--keep \(keep) is negative: give 0 (keep all) or more") }
    guard !prefix.isEmpty, !prefix.contains("/"), prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
    else {
      throw BackupError(.directory, "--prefix '\(prefix)' is not a file name prefix: use letters, digits, '-', '_' or '.'")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
      throw BackupError(.directory, "backup folder \(directory) does not exist: create it or mount a volume there")
    }
    guard isDirectory.boolValue else { throw BackupError(.directory, "backup folder \(directory) is a file: give a folder") }
    guard access(directory, W_OK) == 0 else {
      throw BackupError(.directory, "backup folder \(directory) is not writable by this user (uid \(getuid())): fix its permissions")
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
    guard !candidates.isEmpty else { throw BackupError(.cluster, "the cluster lists no started voter to take a snapshot from") }

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
          file: name.description, size: snapshot.size, sha256: snapshot.sha256, clusterID: list.header.clusterID.etcdHex,
          memberID: member.hexID, memberName: member.name, endpoint: url, fromLeader: member.id == leader,
          etcdVersion: status.version, revision: revision, takenAt: ISO8601DateFormatter().string(from: now),
          members: list.members.map { "\($0.name.isEmpty ? "(unstarted)" : $0.name)=\($0.hexID)" })
        logger.info("backup: streamed \(snapshot.size) bytes from \(member.name) at \(url)\(member.id == leader ? " (leader)" : ""), revision ≥ \(revision)")
        try writeRecord(record, besides: path)
        let removed = try removeExpired(keeping: name)
        return Result(path: path, record: record, removed: removed)
      } catch let error as BackupError {
        throw error
      } catch {
        logger.warning("backup: \(member.name) at \(url) gave no snapshot: \(error)")
        failures.append("\(member.name): \(error)")
      }
    }
    throw BackupError(.cluster, "no member gave a snapshot: " + failures.joined(separator: "; "))
  }

  private func writeRecord(_ record: BackupRecord, besides path: String) throws(BackupError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let target = path + ".json"
    do {
      try (try encoder.encode(record) + Data("\n".utf8)).write(to: URL(fileURLWithPath: target), options: .atomic)
    } catch {
      throw BackupError(.files, "the backup \(path) was written, but its record \(target) was not: \(error)", cause: error)
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
        if FileManager.default.fileExists(atPath: path + ".json") { try FileManager.default.removeItem(atPath: path + ".json") }
      } catch {
        throw BackupError(.files, "the new backup was written, but the old backup \(path) could not be removed: \(error)", cause: error)
      }
      removed.append(name.description)
    }
    return removed
  }
}
