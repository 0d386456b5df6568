import ArgumentParser
import Backup
import ChildProcess
import Dispatch
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
    var quiet = Logger(label: "etcd-pilot.backup")
    quiet.logLevel = .error
    let logger = quiet
    let result: SnapshotBackup.Result
    do {
      // Ctrl-C, SIGTERM or SIGHUP stop the backup, which then removes what it had written.
      let outcome = try await StopSignals.run {
        try await withEtcdClient(configuration, logger: logger) { client in
          // A snapshot of a large database streams for longer than one call's deadline.
          try await backup.take(using: client, logger: logger)
        }
      }
      switch outcome {
      case .finished(let value): result = value
      case .stopped(let signal):
        Failure.printError(
          "etcd-pilot backup: stopped by \(ChildProcess.signalName(signal)); the unfinished file was removed, no backup written"
        )
        throw ExitCode(128 + signal)
      }
    } catch let error as ExitCode {
      throw error
    } catch {
      throw Failure.exit("backup", error)
    }
    switch output {
    case .line:
      if !result.removedUnfinished.isEmpty {
        print(
          "backup: removed \(result.removedUnfinished.count) unfinished, left by a stopped backup: \(result.removedUnfinished.joined(separator: ", "))"
        )
      }
      print(Self.line(result))
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      struct Printed: Encodable {
        var path: String
        var record: BackupRecord
        var removed: [String]
        var removedUnfinished: [String]
      }
      let data = try encoder.encode(
        Printed(
          path: result.path, record: result.record, removed: result.removed, removedUnfinished: result.removedUnfinished
        ))
      print(String(decoding: data, as: UTF8.self))
    }
  }

  static func line(_ result: SnapshotBackup.Result) -> String {
    let record = result.record
    let size = String(format: "%.1f MiB", Double(record.size) / 1_048_576)
    let source = "\(record.memberName) (\(record.fromLeader ? "leader, " : "")etcd \(record.etcdVersion))"
    let removed =
      result.removed.isEmpty ? "" : "; removed \(result.removed.count) older: \(result.removed.joined(separator: ", "))"
    return
      "backup: \(result.path): \(size), revision ≥ \(record.revision), sha256 \(record.sha256.prefix(16))…, from \(source) of cluster \(record.clusterID)\(removed)"
  }
}

/// Runs a job until it ends or SIGINT, SIGTERM or SIGHUP arrives; on a signal the job is
/// cancelled and awaited, so its cleanup (an unfinished file removed) is done before the exit.
enum StopSignals {
  enum Outcome<T: Sendable>: Sendable {
    case finished(T)
    case stopped(Int32)
  }

  static func run<T: Sendable>(_ job: @escaping @Sendable () async throws -> T) async throws -> Outcome<T> {
    let signals = [SIGINT, SIGTERM, SIGHUP]
    let (caught, continuation) = AsyncStream.makeStream(of: Int32.self)
    // The default action (exit at once) is replaced by a dispatch source for each.
    let sources = signals.map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { continuation.yield(number) }
      source.resume()
      return source
    }
    defer {
      for source in sources { source.cancel() }
      for number in signals { signal(number, SIG_DFL) }
      continuation.finish()
    }
    return try await withThrowingTaskGroup(of: Outcome<T>?.self) { group in
      group.addTask { .finished(try await job()) }
      group.addTask {
        for await number in caught { return .stopped(number) }
        return nil
      }
      while let next = try await group.next() {
        guard let outcome = next else { continue }
        if case .stopped = outcome {
          group.cancelAll()
          // The job's own cleanup runs while it unwinds; its error is the signal's doing.
          while (try? await group.next()) != nil {}
        } else {
          group.cancelAll()
        }
        return outcome
      }
      throw CancellationError()
    }
  }
}
