import ChildProcess
import Foundation
import Logging
import Synchronization
import Testing

@testable import LocalCluster

/// The StatefulSet controller with pods that are plain processes (a script that sleeps): what
/// is checked is how it starts and stops processes, not what runs in them.
@Suite("LocalStatefulSet: starting and stopping pods", .serialized, .timeLimit(.minutes(3)))
struct LocalStatefulSetTests {
  private func scratch() throws -> LocalClusterLayout {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-sts-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return LocalClusterLayout(directory: path)
  }

  private func alive(_ pid: Int32) -> Bool {
    ClusterProcesses.stat(pid).map { $0.state != "Z" && $0.state != "X" } ?? false
  }

  @Test(
    "down while many pods are being started: no pod starts after it, each started pod gets SIGTERM, it ends well before the grace period"
  )
  func downWhileStarting() async throws {
    let layout = try scratch()
    defer { try? FileManager.default.removeItem(atPath: layout.directory) }
    let pod = "\(layout.directory)/pod.sh"
    try Data("#!/bin/sh\nexec sleep 600\n".utf8).write(to: URL(fileURLWithPath: pod))
    chmod(pod, 0o755)
    let config = LocalClusterConfig(etcd: "/bin/true", proxies: false, gracePeriodSeconds: 60)
    let statefulSet = LocalStatefulSet(
      layout: layout, config: config, replicas: 150, pilotBinary: pod, logger: Logger(label: "test"))
    let run = Task { await statefulSet.run() }
    let seen = Mutex<Set<Int32>>([])
    let watcher = Task {
      while !Task.isCancelled {
        let pids = await statefulSet.snapshot().pods.compactMap(\.pid)
        seen.withLock { $0.formUnion(pids) }
        try? await Task.sleep(for: .milliseconds(10))
      }
    }
    while await statefulSet.snapshot().pods.allSatisfy({ $0.state != "running" }) {
      try await Task.sleep(for: .milliseconds(10))
    }
    let started = ContinuousClock.now
    await statefulSet.down()
    let took = ContinuousClock.now - started
    await run.value
    watcher.cancel()
    let pids = seen.withLock { $0 }
    #expect(pids.count < 150, "every pod was started although down began after the first")
    #expect(
      took < .seconds(20),
      "down took \(took): pods started after it began got no SIGTERM and waited for the 60 s grace period")
    let left = pids.filter(alive)
    #expect(left.isEmpty, "pods still running: \(left)")
    for pid in left { kill(pid, SIGKILL) }
  }
}
