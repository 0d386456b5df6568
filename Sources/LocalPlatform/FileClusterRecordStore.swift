import Foundation
import Membership
import Pilot

/// The cluster record as a file.
public struct FileClusterRecordStore: ClusterRecordStore {
  public let path: String

  public init(path: String) { self.path = path }

  public func read() async -> RecordState {
    guard FileManager.default.fileExists(atPath: path) else { return .absent }
    guard let data = FileManager.default.contents(atPath: path),
      let record = try? JSONDecoder().decode(ClusterRecord.self, from: data)
    else { return .unknown }
    return .present(record)
  }

  public func createIfAbsent(_ record: ClusterRecord) async throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(record)
    let temporary = "\(path).new-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: data) else {
      throw LocalPlatformError("cannot write the cluster record \(temporary): check the folder and its permissions")
    }
    defer { unlink(temporary) }
    // link(2) fails when the target exists: create-if-absent in one step, also across pods.
    if link(temporary, path) != 0, errno != EEXIST {
      throw LocalPlatformError("cannot create the cluster record \(path): \(String(cString: strerror(errno)))")
    }
  }
}
