import Foundation

/// Processes as /proc shows them: a pod's pilot and everything it started.
enum ProcessTree {
  /// `pid` and all its descendants, parents first.
  static func descendants(of pid: Int32) -> [Int32] {
    var children: [Int32: [Int32]] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let child = Int32(entry), let stat = FileManager.default.contents(atPath: "/proc/\(child)/stat") else {
        continue
      }
      let text = String(decoding: stat, as: UTF8.self)
      guard let close = text.lastIndex(of: ")") else { continue }
      let fields = text[text.index(after: close)...].split(separator: " ")
      if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(child) }
    }
    var result = [pid]
    var index = 0
    while index < result.count {
      result += children[result[index]] ?? []
      index += 1
    }
    return result
  }

  /// The command name of `pid` (`/proc/<pid>/comm`).
  static func name(of pid: Int32) -> String? {
    FileManager.default.contents(atPath: "/proc/\(pid)/comm").map {
      String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
  }
}
