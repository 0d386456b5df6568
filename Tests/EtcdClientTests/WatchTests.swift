import EtcdClient
import EtcdTestFixtures
import Foundation
import Testing

@Suite("Watch", .serialized, .timeLimit(.minutes(10)))
struct WatchTests {
  @Test("events of a prefix from a revision, with previous values, in order", arguments: EtcdVersion.allCases)
  func prefixFromRevision(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        let start = try await etcd.put("w/a", "1").header.revision
        try await etcd.put("w/a", "2")
        try await etcd.put("elsewhere", "x")
        try await etcd.delete("w/a")

        let events = try await etcd.watch(.prefix("w/"), fromRevision: start, prevKV: true) { events in
          var seen: [WatchEvent] = []
          for try await event in events {
            seen.append(event)
            if seen.count == 3 { break }
          }
          return seen
        }
        #expect(events.map(\.kind) == [.put, .put, .delete])
        #expect(events.map(\.kv.valueString) == ["1", "2", ""])
        #expect(events[1].prevKV?.valueString == "1")
        #expect(events.map(\.revision) == events.map(\.revision).sorted())
        #expect(events.allSatisfy { $0.kv.keyString == "w/a" })
      }
    }
  }

  @Test(
    "watch from now sees only later changes; a compacted start revision is reported", arguments: EtcdVersion.allCases)
  func fromNowAndCompacted(version: EtcdVersion) async throws {
    try await withCluster(size: 1, version: version) { cluster in
      try await cluster.withClient { etcd in
        try await etcd.put("n", "before")
        let received = try await etcd.watch("n") { events in
          // The watch is created before the write below: the write happens once the stream is up.
          async let writer: Void = {
            try await Task.sleep(for: .milliseconds(300))
            try await etcd.put("n", "after")
          }()
          var first: WatchEvent?
          for try await event in events {
            first = event
            break
          }
          try await writer
          return first
        }
        #expect(received?.kv.valueString == "after")

        let old = try await etcd.put("n", "x").header.revision
        try await etcd.put("n", "y")
        let latest = try await etcd.put("n", "z").header.revision
        try await etcd.compact(revision: latest)
        do {
          try await etcd.watch("n", fromRevision: old) { events in
            for try await _ in events {}
          }
          Issue.record("a watch from a compacted revision did not fail")
        } catch let error as EtcdError {
          #expect(error.code == .compacted)
        }
      }
    }
  }

  @Test("a watch survives the loss of its member and misses nothing", arguments: EtcdVersion.allCases)
  func survivesMemberKill(version: EtcdVersion) async throws {
    try await withCluster(size: 3, version: version) { cluster in
      let first = cluster.servers[0]
      // The watch prefers the first endpoint; the writer uses the other two.
      try await cluster.withClient { watcher in
        try await cluster.withClient(endpoints: Array(cluster.endpoints.dropFirst())) { writer in
          let expected = Set((0..<40).map { "\($0)" })
          // From the next revision, not "from now": the first puts may land before the watch is
          // created on the server, and "misses nothing" is about what a watch from a revision sees.
          let revision = try await watcher.get(.prefix("s/"), countOnly: true).header.revision
          let values = try await watcher.watch(.prefix("s/"), fromRevision: revision + 1) { events in
            try await withThrowingTaskGroup(of: [String]?.self) { group in
              group.addTask {
                for index in 0..<40 {
                  if index == 10 { await first.kill() }
                  // A put lost with the leader is retried: the value may then arrive twice.
                  _ = try await eventually("put s/\(index)") {
                    try await writer.put("s/\(String(format: "%03d", index))", "\(index)")
                  }
                  try await Task.sleep(for: .milliseconds(25))
                }
                return nil
              }
              group.addTask {
                try await within(.seconds(90), "all 40 events") {
                  var seen: [String] = []
                  for try await event in events {
                    seen.append(event.kv.valueString)
                    if Set(seen) == expected { break }
                  }
                  return seen
                }
              }
              var seen: [String] = []
              for try await result in group { if let result { seen = result } }
              return seen
            }
          }
          #expect(Set(values) == expected)
          let order = values.compactMap(Int.init)
          #expect(order == order.sorted(), "events out of order: \(order)")
        }
      }
    }
  }
}
