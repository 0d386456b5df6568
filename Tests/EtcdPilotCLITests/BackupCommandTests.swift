import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `etcd-pilot backup` against real etcd: the backup is what a user restores, so the proof is a
/// restore — etcd's own tool takes the file, and a new etcd started on it serves every write.
@Suite("etcd-pilot backup", .serialized, .timeLimit(.minutes(10)))
struct BackupCommandTests {
  private func folder(in cluster: EtcdTestCluster, _ name: String = "backups") throws -> String {
    let path = "\(cluster.directory)/\(name)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  private func endpoints(_ cluster: EtcdTestCluster) -> String {
    cluster.endpoints.map(\.description).joined(separator: ",")
  }

  private func backups(in folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".db") }.sorted()
  }

  @Test(
    "a backup of 3 members restores into a new etcd that serves every acknowledged write",
    arguments: EtcdVersion.allCases)
  func backupRestores(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      let (lastRevision, clusterID, leader) = try await cluster.withClient { etcd in
        var revision: Int64 = 0
        for index in 0..<300 { revision = try await etcd.put("keep/\(index)", "value-\(index)").header.revision }
        let status = try await etcd.status()
        let members = try await etcd.memberList()
        return (revision, members.header.clusterID, members.members.first { $0.id == status.leader }?.name)
      }
      let backups = try folder(in: cluster)
      // Asked through one follower only: the snapshot still comes from the leader.
      let follower = try #require(cluster.servers.first { $0.name != leader })
      let result = try PilotBinary.run(["backup", "--endpoints", follower.clientURL, "--dir", backups, "-w", "json"])
      #expect(result.exitCode == 0, "\(result.output)")
      let files = try self.backups(in: backups)
      try #require(files.count == 1, "\(files)")
      let file = "\(backups)/\(files[0])"
      #expect(files[0].hasPrefix("etcd-") && files[0].hasSuffix("Z.db"), "\(files[0])")
      #expect(!FileManager.default.fileExists(atPath: file + ".part"))

      // The record beside it says what it holds.
      let record = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file + ".json"))) as? [String: Any]
      )
      #expect(record["clusterID"] as? String == clusterID.etcdHex)
      #expect(record["memberName"] as? String == leader)
      #expect(record["fromLeader"] as? Bool == true)
      #expect((record["revision"] as? Int).map { Int64($0) >= lastRevision } == true, "\(record)")
      #expect((record["etcdVersion"] as? String)?.hasPrefix(version.rawValue + ".") == true, "\(record)")
      #expect((record["members"] as? [String])?.count == 3)
      let size = try #require((try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value)
      #expect((record["size"] as? Int).map(Int64.init) == size)

      // etcd's own tool accepts it, and restores it into a new one-member cluster.
      let status = try ProcessOutput.run(version.snapshotTool, ["snapshot", "status", file, "-w", "json"])
      #expect(status.exitCode == 0, "\(status.output)")
      let restored = try cluster.makeServer(name: "restored")
      let restore = try ProcessOutput.run(
        version.snapshotTool,
        [
          "snapshot", "restore", file, "--data-dir", restored.dataDirectory, "--name", restored.name,
          "--initial-cluster", "\(restored.name)=\(restored.peerURL)", "--initial-advertise-peer-urls",
          restored.peerURL,
          "--initial-cluster-token", "restored",
        ])
      #expect(restore.exitCode == 0, "\(restore.output)")
      try await restored.start(initialCluster: "\(restored.name)=\(restored.peerURL)", state: "new", token: "restored")
      try await cluster.waitUntilHealthy([restored])
      let values = try await cluster.withClient(endpoints: [restored.endpoint]) { etcd in
        try await etcd.get(.prefix("keep/")).kvs.map { ($0.keyString, $0.valueString) }
      }
      #expect(values.count == 300)
      #expect(Dictionary(values, uniquingKeysWith: { $1 })["keep/299"] == "value-299")
    }
  }

  @Test("--keep 2: the two newest backups and their records stay, older ones go, nothing else in the folder is touched")
  func retention() async throws {
    try await withCluster(size: 1, version: .v3_5) { cluster in
      try await cluster.withClient { etcd in _ = try await etcd.put("k", "v") }
      let backups = try folder(in: cluster)
      let other = "\(backups)/etcd-notes.txt"
      try Data("mine".utf8).write(to: URL(fileURLWithPath: other))
      // An unfinished file a killed backup left, and one another backup is writing (locked).
      let left = "\(backups)/etcd-20200101T000000Z.db.part"
      let writing = "\(backups)/etcd-20200101T000001Z.db.part"
      FileManager.default.createFile(atPath: left, contents: Data("half".utf8))
      FileManager.default.createFile(atPath: writing, contents: Data("half".utf8))
      let writer = open(writing, O_RDWR)
      defer { close(writer) }
      #expect(flock(writer, LOCK_EX) == 0)
      var lines: [String] = []
      for _ in 0..<3 {
        let result = try PilotBinary.run(["backup", "--endpoints", endpoints(cluster), "--dir", backups, "--keep", "2"])
        #expect(result.exitCode == 0, "\(result.output)")
        lines.append(result.output)
      }
      #expect(
        lines[0].contains("removed 1 unfinished, left by a stopped backup: etcd-20200101T000000Z.db.part"),
        "\(lines[0])")
      #expect(!FileManager.default.fileExists(atPath: left))
      #expect(FileManager.default.fileExists(atPath: writing), "a .part being written was removed")
      unlink(writing)
      let files = try FileManager.default.contentsOfDirectory(atPath: backups).sorted()
      let kept = try self.backups(in: backups)
      // Backups and records are the data's owner's only, as etcdctl writes them.
      for name in kept {
        for path in ["\(backups)/\(name)", "\(backups)/\(name).json"] {
          #expect(
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600, "\(path)")
        }
      }
      #expect(kept.count == 2, "\(files)")
      for name in kept { #expect(files.contains(name + ".json"), "\(files)") }
      #expect(files.filter { $0.hasSuffix(".json") }.count == 2, "\(files)")
      #expect(FileManager.default.fileExists(atPath: other))
      // The third run names what it removed: the first backup, which is gone.
      let first = try #require(
        lines[0].split(separator: "\n").last?.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
      #expect(lines[2].contains("removed 1 older: \((first as NSString).lastPathComponent)"), "\(lines)")
      #expect(!FileManager.default.fileExists(atPath: first))
      #expect(lines[1].hasPrefix("backup: \(backups)/etcd-"), "\(lines[1])")
    }
  }

  /// `etcd-pilot backup` in the background, its output in a file.
  private func startBackup(_ arguments: [String], output: String) throws -> Process {
    FileManager.default.createFile(atPath: output, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try PilotBinary.path)
    process.arguments = ["backup"] + arguments
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    process.standardError = process.standardOutput
    try process.run()
    return process
  }

  /// The backup's unfinished file, once it holds data and has stopped growing (the member
  /// stopped sending in the middle of the snapshot).
  private func stalledPart(in folder: String) async throws -> String {
    var last: (String, Int)?
    return try await eventually("a .part file that stops growing", timeout: .seconds(30), every: .milliseconds(300)) {
      let part = try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".db.part") }
      guard let part else { return nil }
      let size = (try FileManager.default.attributesOfItem(atPath: "\(folder)/\(part)")[.size] as? Int) ?? 0
      defer { last = (part, size) }
      return size > 0 && last.map { $0 == (part, size) } == true ? part : nil
    }
  }

  @Test(
    "stopped mid-snapshot by SIGINT or SIGTERM, the unfinished file is removed; killed, the next backup removes it; a full disk is named, not blamed on the member"
  )
  func stoppedMidSnapshot() async throws {
    try await withCluster(size: 1, version: .v3_5) { cluster in
      // A member whose client URL is a relay that stops passing its snapshot part way.
      let server = try cluster.makeServer(name: "relayed")
      let relay = try StallingRelay(host: "127.0.0.1", to: (server.address, 2379), budget: 0)
      defer { relay.close() }
      relay.pass()
      try await server.start(
        initialCluster: "relayed=\(server.peerURL)", state: "new", token: "relayed",
        extraArguments: ["--advertise-client-urls", "http://127.0.0.1:\(relay.port)"])
      try await cluster.waitUntilHealthy([server])
      try await cluster.withClient(endpoints: [server.endpoint]) { etcd in
        for index in 0..<40 { _ = try await etcd.put("big/\(index)", String(repeating: "x", count: 100_000)) }
      }
      let relayed = EtcdEndpoint(host: "127.0.0.1", port: relay.port)
      _ = try await cluster.withClient(endpoints: [relayed]) { try await $0.get("big/0", countOnly: true) }
      let backups = try folder(in: cluster)
      let output = "\(cluster.directory)/backup.out"
      let arguments = ["--endpoints", server.endpoint.description, "--dir", backups]
      for signal in [SIGINT, SIGTERM, SIGKILL] {
        relay.limit(512 * 1024)
        let process = try startBackup(arguments, output: output)
        let part: String
        do {
          part = try await stalledPart(in: backups)
        } catch {
          let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
          process.terminate()
          throw FixtureError(
            "\(error); the backup said: \(text); the folder holds \(try FileManager.default.contentsOfDirectory(atPath: backups))"
          )
        }
        kill(process.processIdentifier, signal)
        _ = try await eventually("the backup to end on signal \(signal)", timeout: .seconds(20)) {
          process.isRunning ? nil : true
        }
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        if signal == SIGKILL {
          #expect(FileManager.default.fileExists(atPath: "\(backups)/\(part)"))
        } else {
          #expect(process.terminationStatus == 128 + signal, "\(text)")
          let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
          #expect(!line.contains("\n") && line.contains("stopped by SIG") && line.contains("removed"), "\(text)")
          #expect(
            try FileManager.default.contentsOfDirectory(atPath: backups).isEmpty, "left behind after signal \(signal)")
        }
      }
      relay.pass()
      let next = try PilotBinary.run(["backup"] + arguments)
      #expect(next.exitCode == 0, "\(next.output)")
      #expect(next.output.contains("removed 1 unfinished"), "\(next.output)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: backups).filter { $0.hasSuffix(".part") }.isEmpty)

      // A folder on a full disk: a 256 KiB tmpfs for a 4 MB snapshot (mounting needs root).
      guard getuid() == 0 else { return }
      let small = try folder(in: cluster, "small")
      #expect(try ProcessOutput.run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", small]).exitCode == 0)
      defer { _ = try? ProcessOutput.run("/bin/umount", [small]) }
      let full = try PilotBinary.run(["backup", "--endpoints", server.endpoint.description, "--dir", small])
      expectOneLineError(full, mentions: ["no space left on device (ENOSPC)", small, "free space"], exitCode: 1)
      #expect(!full.output.contains("no member gave"), "\(full.output)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: small).isEmpty)
    }
  }

  @Test(
    "bad input: a missing folder, a file for a folder, a negative --keep, a bad prefix, no reachable endpoint — one line each"
  )
  func badInput() async throws {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-backup-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let file = "\(scratch)/plain"
    try Data().write(to: URL(fileURLWithPath: file))

    expectOneLineError(
      try PilotBinary.run(["backup", "--dir", "\(scratch)/missing"]),
      mentions: ["backup folder \(scratch)/missing does not exist", "create it or mount a volume"], exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["backup", "--dir", file]), mentions: ["is a file: give a folder"], exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["backup", "--dir", scratch, "--keep", "-1"]), mentions: ["--keep -1 is negative"],
      exitCode: 2)
    expectOneLineError(
      try PilotBinary.run(["backup", "--dir", scratch, "--prefix", "a/b"]),
      mentions: ["--prefix 'a/b' is not a file name prefix"],
      exitCode: 2)
    let address = try Loopback.address()
    expectOneLineError(
      try PilotBinary.run([
        "backup", "--dir", scratch, "--endpoints", "http://\(address):2379", "--command-timeout", "1s",
      ]),
      mentions: ["\(address):2379"], exitCode: 1)
    // Nothing was written by any of them.
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == ["plain"])
  }
}
