import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Never touch what is not ours (issue 21): data of another cluster, a cluster on a pod's
/// address that is not this StatefulSet's, a volume the pilot cannot read.
@Suite("Lifecycle: what is not ours", .serialized, .timeLimit(.minutes(10)))
struct ForeignDataTests {
  /// Every file under `path` with its size: what "nothing was touched" is checked against.
  private func inventory(_ path: String) -> [String: Int] {
    var files: [String: Int] = [:]
    let enumerator = FileManager.default.enumerator(atPath: path)
    while let item = enumerator?.nextObject() as? String {
      let attributes = try? FileManager.default.attributesOfItem(atPath: "\(path)/\(item)")
      if attributes?[.type] as? FileAttributeType == .typeRegular { files[item] = (attributes?[.size] as? Int) ?? -1 }
    }
    return files
  }

  /// The volume of a one-member cluster of its own, stopped, copied to a folder.
  private func foreignVolume() async throws -> String {
    let foreign = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-foreign-\(UUID().uuidString.prefix(8))"
    ).path
    try await withLocalCluster(replicas: 1, version: .v3_5) { other in
      try await other.withClient { try await $0.put("from", "elsewhere") }
      try await other.local(["down"])
      try FileManager.default.copyItem(atPath: other.layout.volume("etcd-0"), toPath: foreign)
    }
    return foreign
  }

  @Test("a volume holding another cluster's data (its notes too): the pilot stops with the reason; nothing is touched")
  func volumeOfAnotherCluster() async throws {
    let foreign = try await foreignVolume()
    defer { try? FileManager.default.removeItem(atPath: foreign) }
    try await withLocalCluster(replicas: 3, version: .v3_5) { cluster in
      try await cluster.kill(2, hold: 4, wait: false)
      let volume = cluster.layout.volume("etcd-2")
      try FileManager.default.removeItem(atPath: volume)
      try FileManager.default.copyItem(atPath: foreign, toPath: volume)
      let before = inventory(volume)

      let log = cluster.layout.log("etcd-2")
      try await eventually("the pilot of etcd-2 to refuse the volume", timeout: .seconds(60)) {
        let text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
        return text.contains("belongs to another cluster") ? true : nil
      }
      #expect(inventory(volume) == before, "the foreign volume was changed")
      // The other two keep serving; the old etcd-2 member stays listed, nothing was removed.
      let members = try await cluster.members()
      #expect(members.count == 3)
      try await cluster.withClient(endpoints: [cluster.endpoint(0), cluster.endpoint(1)]) {
        try await $0.put("still", "serving")
      }
    }
  }

  /// Issue 21, item 1: the pod's own notes named its cluster, the etcd directory was another
  /// cluster's, and the pilot served that cluster's keys as a healthy leader; the real leader's
  /// consistency check then removed the pod's real member.
  @Test(
    "another cluster's etcd directory under the pod's own notes: refused, naming both clusters; nothing moved, the member kept"
  )
  func foreignDataUnderOwnNotes() async throws {
    let foreign = try await foreignVolume()
    defer { try? FileManager.default.removeItem(atPath: foreign) }
    try await withLocalCluster(replicas: 3, version: .v3_5) { cluster in
      let ids = try await cluster.memberIDs()
      let clusterID = try await cluster.withClient { try await $0.status().header.clusterID }
      try await cluster.kill(2, hold: 4, wait: false)
      let volume = cluster.layout.volume("etcd-2")
      try FileManager.default.removeItem(atPath: "\(volume)/etcd")
      try FileManager.default.copyItem(atPath: "\(foreign)/etcd", toPath: "\(volume)/etcd")
      let before = inventory(volume)

      let log = cluster.layout.log("etcd-2")
      let line = try await eventually("the pilot of etcd-2 to refuse the data", timeout: .seconds(60)) {
        () -> String? in
        let text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").last { $0.contains("cannot go on") }.map(String.init)
      }
      #expect(
        line.contains("this release's cluster \(String(clusterID, radix: 16))")
          || line.contains("its cluster is \(String(clusterID, radix: 16))"), "\(line)")
      #expect(line.contains("belongs to cluster"), "\(line)")
      #expect(inventory(volume) == before, "the volume was changed")
      #expect(try await cluster.memberIDs() == ids, "a member was removed or replaced")
      let stray = try await cluster.withClient(endpoints: [cluster.endpoint(0)]) { try await $0.get("from").kvs.count }
      #expect(stray == 0, "the other cluster's key is served")
    }
  }

  /// Issue 21, item 2: with a plain etcd on a pod's address, the pilot added itself to that
  /// cluster as a learner.
  @Test(
    "a plain etcd on another pod's address: a fresh pilot never joins it, and says why", arguments: EtcdVersion.allCases
  )
  func foreignEtcdOnAPodAddress(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { foreign in
      let address = foreign.servers[0].address
      let octets = address.split(separator: ".")
      let base = octets.prefix(3).joined(separator: "."), last = Int(octets[3])!
      let mine = "\(base).\(last + 1)"
      try #require(
        Loopback.isFree(address: mine, port: 2379) && Loopback.isFree(address: mine, port: 2390), "\(mine) is taken")
      let volume = "\(foreign.directory)/etcd-1-volume"
      let pilot = try await PilotProcess.start(
        name: "etcd-1", replicas: 2, hostTemplate: "\(base).{ordinal+\(last)}", listenHost: mine, volume: volume,
        version: version)
      do {
        try await pilot.waitForLog("which is not this StatefulSet's")
        #expect(
          try await foreign.withClient { try await $0.memberList().members.count } == 1,
          "the pilot changed the foreign cluster")
        #expect(!pilot.log.contains("added as learner"))
        await pilot.stop()
      } catch {
        await pilot.stop()
        throw error
      }
    }
  }

  /// Issue 21, item 3: a volume of another owner counted as empty: the pilot removed its own
  /// healthy member and added and removed learners about once a second.
  @Test(
    "a volume the pilot may not read (another uid): an error naming the path, owner and mode; etcd never starts; nothing changes",
    .enabled(if: getuid() == 0))
  func unreadableVolume() async throws {
    let volume = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-unreadable-\(UUID().uuidString.prefix(8))"
    ).path
    defer { try? FileManager.default.removeItem(atPath: volume) }
    try FileManager.default.createDirectory(atPath: "\(volume)/etcd/member/wal", withIntermediateDirectories: true)
    FileManager.default.createFile(
      atPath: "\(volume)/etcd/member/wal/0000000000000000-0000000000000000.wal", contents: Data(count: 4096))
    for path in [volume, "\(volume)/etcd", "\(volume)/etcd/member"] {
      chmod(path, 0o755)
    }
    chown("\(volume)/etcd/member/wal", 1234, 1234)
    chmod("\(volume)/etcd/member/wal", 0o700)
    let address = try Loopback.address(freePorts: [2379, 2380, 2390])
    let pilot = try await PilotProcess.start(
      name: "etcd-0", replicas: 1, hostTemplate: address, listenHost: address, volume: volume, version: .v3_5,
      user: 65534)
    do {
      try await pilot.waitForLog(
        "cannot list etcd's WAL in \(volume)/etcd/member/wal: Permission denied (owned by uid 1234 gid 1234, mode 0700; the pilot runs as uid 65534)"
      )
      #expect(pilot.log.contains("the pod's fsGroup"))
      #expect(!pilot.log.contains("started etcd"), "etcd was started on a volume the pilot cannot read")
      #expect(!FileManager.default.fileExists(atPath: "\(volume)/aside"))
      await pilot.stop()
    } catch {
      await pilot.stop()
      throw error
    }
  }
}
