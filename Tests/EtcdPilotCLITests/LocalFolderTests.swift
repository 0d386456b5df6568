import EtcdTestFixtures
import Foundation
import LocalCluster
import Pilot
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `local` owns only what it made (issue 21): checks `up` makes before it starts anything, and
/// what `down --purge` deletes. No cluster runs in these tests: each refusal comes first.
@Suite("etcd-pilot local: its folder, its settings, its bounds", .serialized, .timeLimit(.minutes(5)))
struct LocalFolderTests {
  /// A scratch folder; whatever a command started in it is stopped afterwards.
  private func withScratch(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-folder-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer {
      _ = try? PilotBinary.run(["local", "down", "--dir", directory], timeout: 60)
      for pid in LocalTestCluster.runningProcesses(mentioning: directory) { kill(pid, SIGKILL) }
      try? FileManager.default.removeItem(atPath: directory)
    }
    try body(directory)
  }

  private func entries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }

  /// A cluster folder as `up` leaves it once its members have data: marked, its settings, a
  /// volume holding an etcd member directory, a log.
  private func formedCluster(in directory: String, etcd: String, version: String) throws -> LocalClusterLayout {
    let layout = LocalClusterLayout(directory: directory)
    try LocalClusterFolder.claim(layout)
    var config = LocalClusterConfig(addressBase: try Loopback.block(), etcd: etcd)
    config.etcdVersion = version
    try layout.writeConfig(config)
    try FileManager.default.createDirectory(
      atPath: layout.volume("etcd-0") + "/etcd/member", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: "\(directory)/logs", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: layout.log("etcd-0"), contents: Data("log\n".utf8))
    return layout
  }

  private func up(_ directory: String, _ arguments: [String]) throws -> ProcessOutput {
    try PilotBinary.run(
      ["local", "up", "--dir", directory, "--detach", "--timeout", "20s", "--replicas", "1"] + arguments, timeout: 60)
  }

  @Test("up refuses a project folder, a file, a folder under a file, an unwritable parent: one line, nothing created")
  func upRefusesForeignFolders() throws {
    try withScratch { directory in
      let project = "\(directory)/project"
      try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
      FileManager.default.createFile(atPath: "\(project)/README.md", contents: Data("# mine\n".utf8))
      let base = try Loopback.block()
      expectOneLineError(
        try up(project, ["--etcd", EtcdVersion.v3_4.etcd, "--address-base", base]),
        mentions: ["--dir \(project) is not empty and not a local cluster's folder", "README.md"])
      #expect(entries(project) == ["README.md"])

      let file = "\(directory)/plain"
      FileManager.default.createFile(atPath: file, contents: Data())
      expectOneLineError(try up(file, ["--etcd", EtcdVersion.v3_4.etcd]), mentions: ["--dir \(file) is a file"])
      expectOneLineError(
        try up("\(file)/cluster", ["--etcd", EtcdVersion.v3_4.etcd]), mentions: ["\(file) is a file, not a folder"])
      if getuid() == 0 {
        let result = try ProcessOutput.run(
          "/usr/bin/setpriv",
          [
            "--reuid=65534", "--regid=65534", "--clear-groups", "--", try PilotBinary.path, "local", "up", "--dir",
            "\(directory)/cluster",
            "--etcd", EtcdVersion.v3_4.etcd, "--detach",
          ])
        expectOneLineError(
          result, mentions: ["cannot create --dir \(directory)/cluster", "permission denied (EACCES)"])
      }
      #expect(entries(directory) == ["plain", "project"])
    }
  }

  @Test("up --replicas beyond the addresses of the block: one line, nothing created")
  func replicasBounded() throws {
    try withScratch { directory in
      let cluster = "\(directory)/cluster"
      expectOneLineError(
        try PilotBinary.run([
          "local", "up", "--dir", cluster, "--replicas", "1000", "--etcd", EtcdVersion.v3_4.etcd, "--detach",
        ]),
        mentions: ["--replicas 1000 is more than the 254 pod addresses", "at most 254"])
      expectOneLineError(
        try PilotBinary.run([
          "local", "up", "--dir", cluster, "--replicas", "255", "--etcd", EtcdVersion.v3_4.etcd, "--detach",
        ]),
        mentions: ["--replicas 255"])
      #expect(!FileManager.default.fileExists(atPath: cluster))
    }
  }

  @Test("down --purge deletes the cluster's files only, and refuses a folder that is not a cluster's")
  func purgeKeepsTheUsersFiles() throws {
    try withScratch { directory in
      let cluster = "\(directory)/cluster"
      _ = try formedCluster(in: cluster, etcd: EtcdVersion.v3_4.etcd, version: "3.4.23")
      FileManager.default.createFile(atPath: "\(cluster)/notes.txt", contents: Data("mine".utf8))
      try FileManager.default.createDirectory(atPath: "\(cluster)/my-backups", withIntermediateDirectories: true)
      let purged = try PilotBinary.run(["local", "down", "--dir", cluster, "--purge"])
      #expect(purged.exitCode == 0, "\(purged.output)")
      #expect(purged.output.contains("kept what it did not make: my-backups, notes.txt"), "\(purged.output)")
      #expect(entries(cluster) == ["my-backups", "notes.txt"])

      // A folder someone else's local.json sits in, among other files: not a cluster's.
      let other = "\(directory)/other"
      try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
      try LocalClusterLayout(directory: other).writeConfig(LocalClusterConfig(etcd: EtcdVersion.v3_4.etcd))
      FileManager.default.createFile(atPath: "\(other)/main.swift", contents: Data("print(1)".utf8))
      expectOneLineError(
        try PilotBinary.run(["local", "down", "--dir", other, "--purge"]),
        mentions: ["not a local cluster's folder", "nothing deleted"])
      #expect(entries(other) == ["local.json", "main.swift"])

      // Nothing of a cluster left: the folder itself goes.
      let empty = "\(directory)/empty"
      _ = try formedCluster(in: empty, etcd: EtcdVersion.v3_4.etcd, version: "3.4.23")
      #expect(try PilotBinary.run(["local", "down", "--dir", empty, "--purge"]).exitCode == 0)
      #expect(!FileManager.default.fileExists(atPath: empty))
    }
  }

  @Test("up remembers the etcd and the addresses of a cluster with data: another etcd or address base is refused")
  func rememberedSettings() throws {
    try EtcdVersion.v3_5.requireInstalled()
    let version35 = try EtcdBinary.check(EtcdVersion.v3_5.etcd).version
    let version34 = try EtcdBinary.check(EtcdVersion.v3_4.etcd).version
    try withScratch { directory in
      let layout = try formedCluster(in: "\(directory)/cluster", etcd: EtcdVersion.v3_5.etcd, version: version35)
      let before = entries(layout.directory)
      expectOneLineError(
        try up(layout.directory, ["--etcd", EtcdVersion.v3_4.etcd]),
        mentions: ["made with etcd \(version35)", "is etcd \(version34)", "omit --etcd"])
      expectOneLineError(
        try up(layout.directory, ["--address-base", "127.0.99"]), mentions: ["127.0.99", "omit --address-base"])
      #expect(entries(layout.directory) == before, "a refused up changed the folder")
      #expect(try layout.readConfig().etcd == EtcdVersion.v3_5.etcd)

      var config = try layout.readConfig()
      config.etcd = "\(directory)/gone/etcd"
      try layout.writeConfig(config)
      expectOneLineError(
        try up(layout.directory, []), mentions: ["\(directory)/gone/etcd", "cannot be run now", "give --etcd"])
    }
  }

  @Test("local status -w without a value lists the values it takes")
  func statusOutputValues() throws {
    let result = try PilotBinary.run(["local", "status", "-w"])
    #expect(result.exitCode != 0)
    #expect(result.output.contains("table") && result.output.contains("json"), "\(result.output)")
  }
}
