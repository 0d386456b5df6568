import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A volume too small for what it holds and what a join brings (issue 12, finding 3): scaled
/// down and up again, a pod's volume keeps its aside copy; the join must make room or refuse,
/// never fill the volume and loop.
@Suite("Lifecycle: small volumes", .serialized, .timeLimit(.minutes(10)), .enabled(if: getuid() == 0))
struct SmallVolumeTests {
  /// Puts `path` on a tmpfs of `megabytes`, keeping what it held.
  static func shrink(_ path: String, toMegabytes megabytes: Int) throws {
    let held = "\(path).held"
    try FileManager.default.moveItem(atPath: path, toPath: held)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let mount = try ProcessOutput.run(
      "/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path], timeout: 20)
    try #require(mount.exitCode == 0, "cannot mount a tmpfs on \(path): \(mount.output)")
    let copy = try ProcessOutput.run("/bin/cp", ["-a", "\(held)/.", path], timeout: 120)
    try #require(copy.exitCode == 0, "cannot copy the volume onto the tmpfs: \(copy.output)")
    try FileManager.default.removeItem(atPath: held)
  }

  static func unmount(_ path: String) {
    _ = try? ProcessOutput.run("/bin/umount", ["-l", path], timeout: 20)
  }

  @Test(
    "3→2→3 with a volume that cannot hold its aside copy and a new copy: the redundant copy goes, the pod joins",
    arguments: [EtcdVersion.v3_5])
  func scaleDownUpOnASmallVolume(version: EtcdVersion) async throws {
    try await withLocalCluster(replicas: 3, version: version) { cluster in
      // About 50 MB of data, so that the aside copy (database and WAL) and a new join do not
      // both fit in the volume.
      let value = String(repeating: "v", count: 100_000)
      try await cluster.withClient(timeout: .seconds(20)) { etcd in
        for index in 0..<500 { try await etcd.put("big/\(index)", value) }
      }
      try await cluster.scale(2)
      try await cluster.expectMembers(2)
      let volume = cluster.layout.volume("etcd-2")
      _ = try await eventually("etcd-2's data to go aside") {
        try? FileManager.default.contentsOfDirectory(atPath: "\(volume)/aside").first
      }
      let asideBytes = try #require(
        Int(
          try ProcessOutput.run("/usr/bin/du", ["-sm", "\(volume)/aside"], timeout: 30).output.split(separator: "\t")
            .first ?? ""))
      // Room for the aside copy and a little: not for the copy and a join (database, 128 MiB of WAL).
      try Self.shrink(volume, toMegabytes: asideBytes + 160)
      defer { Self.unmount(volume) }
      try await cluster.scale(3)
      try await cluster.expectMembers(3)
      let log = String(
        decoding: FileManager.default.contents(atPath: cluster.layout.log("etcd-2")) ?? Data(), as: UTF8.self)
      #expect(log.contains("deleted the aside copy"), "\(log.suffix(2000))")
      #expect(!log.contains("no space left on device"), "\(log.suffix(2000))")
      let count = try await cluster.withClient(endpoints: [cluster.endpoint(2)], timeout: .seconds(20)) {
        try await $0.get(.prefix("big/"), serializable: true, countOnly: true).count
      }
      #expect(count == 500)
    }
  }
}
