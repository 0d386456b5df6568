import EtcdTestFixtures
import Foundation
import Testing

/// The Swift sources are as `.swift-format` (lines ≤ 120, two-space indents) formats them: a
/// change that is not formatted fails here, naming the files, before a reviewer sees it.
@Suite("Repository: source format")
struct SourceFormatTests {
  @Test("every Swift source but the generated gRPC code is formatted by .swift-format; an unformatted one is caught")
  func formatted() throws {
    let listed = try ProcessOutput.run("/usr/bin/env", ["git", "-C", RepositoryRoot.path, "ls-files", "*.swift"])
    try #require(listed.exitCode == 0, "\(listed.output)")
    let files = listed.output.split(separator: "\n").map(String.init)
      .filter { !$0.hasSuffix(".pb.swift") && !$0.hasSuffix(".grpc.swift") }
    #expect(files.count > 200, "\(files.count) files: the listing is not the repository's")
    var unformatted: [String] = []
    for file in files {
      let path = "\(RepositoryRoot.path)/\(file)"
      if try Self.format(path) != (try String(contentsOfFile: path, encoding: .utf8)) { unformatted.append(file) }
    }
    #expect(
      unformatted.isEmpty,
      "not formatted (run `swift format format -i` on them): \(unformatted.joined(separator: ", "))")

    // The check can fail: a badly indented file in the same place formats differently.
    let sample = "\(RepositoryRoot.path)/Sources/Membership/.format-check-\(UUID().uuidString).swift"
    let text = "struct A {\n        var b:Int=1\n}\n"
    try text.write(toFile: sample, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: sample) }
    #expect(try Self.format(sample) != text)
  }

  /// What `swift format` makes of a file, with the repository's configuration.
  static func format(_ path: String) throws -> String {
    let result = try ProcessOutput.run(
      "/usr/bin/env", ["swift-format", "format", "--configuration", "\(RepositoryRoot.path)/.swift-format", path],
      timeout: 60)
    try #require(result.exitCode == 0, "swift format \(path): \(result.output)")
    return result.output
  }
}
