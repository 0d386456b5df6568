import ArgumentParser
import Backup
import EtcdClient
import Foundation
import Logging

/// `etcd-pilot backup`: one checked snapshot of a cluster into a folder, with its record.
struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Takes a checked snapshot of a cluster into a folder and keeps the newest N.",
    discussion: """
      Streams a snapshot from the leader (another started voter if the leader cannot), after a \
      linearizable read through it, so the backup holds every write acknowledged before it began. \
      The file, <prefix>-<UTC time>.db, appears only once complete and its SHA-256 checked; \
      beside it <file>.json records the cluster, the member, the revision, etcd's version and the \
      checksum. Then backups of the same prefix beyond the newest --keep are removed (nothing \
      else in the folder is touched). Restore one with etcdutl snapshot restore (etcd 3.4: \
      etcdctl snapshot restore).
      """)

  enum Output: String, ExpressibleByArgument, CaseIterable {
    case line, json
  }

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The folder the backup goes to; it must exist.")
  var dir: String

  @Option(parsing: .unconditional, help: "How many backups of this prefix to keep, newest first; 0 keeps all.")
  var keep = 0

  @Option(help: "Backup files are named <prefix>-<UTC time>.db.")
  var prefix = "etcd"

  @Option(name: [.customShort("w"), .long, .customLong("write-out")], help: "line or json.")
  var output: Output = .line

  func run() async throws {
    let backup = SnapshotBackup(directory: dir, prefix: prefix, keep: keep)
    let configuration: EtcdClientConfiguration
    do {
      try backup.validate()
      configuration = try connection.clientConfiguration(environment: ProcessInfo.processInfo.environment)
    } catch {
      throw Failure.exit("backup", error)
    }
    var logger = Logger(label: "etcd-pilot.backup")
    logger.logLevel = .error
    let result: SnapshotBackup.Result
    do {
      result = try await withEtcdClient(configuration, logger: logger) { client in
        // A snapshot of a large database streams for longer than one call's deadline.
        try await backup.take(using: client, logger: logger)
      }
    } catch {
      throw Failure.exit("backup", error)
    }
    switch output {
    case .line: print(Self.line(result))
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      struct Printed: Encodable {
        var path: String
        var record: BackupRecord
        var removed: [String]
      }
      let data = try encoder.encode(Printed(path: result.path, record: result.record, removed: result.removed))
      print(String(decoding: data, as: UTF8.self))
    }
  }

  static func line(_ result: SnapshotBackup.Result) -> String {
    let record = result.record
    let size = String(format: "%.1f MiB", Double(record.size) / 1_048_576)
    let source = "\(record.memberName) (\(record.fromLeader ? "leader, " : "")etcd \(record.etcdVersion))"
    let removed = result.removed.isEmpty ? "" : "; removed \(result.removed.count) older: \(result.removed.joined(separator: ", "))"
    return "backup: \(result.path): \(size), revision ≥ \(record.revision), sha256 \(record.sha256.prefix(16))…, from \(source) of cluster \(record.clusterID)\(removed)"
  }
}
