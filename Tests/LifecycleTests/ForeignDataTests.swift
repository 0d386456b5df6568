import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

@Suite("Lifecycle: data of another cluster", .serialized, .timeLimit(.minutes(10)))
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

  @Test("a volume holding another cluster's data: the pilot stops with the reason; nothing is touched")
  func volumeOfAnotherCluster() async throws {
    // A volume from another cluster.
    let foreign = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-pilot-test-foreign-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: foreign) }
    try await withLocalCluster(replicas: 1, version: .v3_5) { other in
      try await other.withClient { try await $0.put("from", "elsewhere") }
      try await other.local(["down"])
      try FileManager.default.copyItem(atPath: other.layout.volume("etcd-0"), toPath: foreign)
    }
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
      try await cluster.withClient(endpoints: [cluster.endpoint(0), cluster.endpoint(1)]) { try await $0.put("still", "serving") }
    }
  }
}
