import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A local cluster protects what it runs and stops what it started (issue 21), on real etcd:
/// its control API wants its token, its pods die with its supervisor, a pod left behind is found,
/// a foreign etcd on a pod's address is never joined, a failed `up` leaves nothing running.
@Suite("etcd-pilot local: what it runs is protected and stopped", .serialized, .timeLimit(.minutes(8)))
struct LocalProtectionTests {
  /// `etcd-pilot local ARGUMENTS --dir DIR` as a user runs it.
  private func local(
    _ cluster: LocalTestCluster, _ arguments: [String], timeout: Duration = .seconds(120)
  ) async throws -> ProcessOutput {
    try await ProcessOutput.runAsync(
      try PilotBinary.path, ["local"] + arguments + ["--dir", cluster.directory], timeout: timeout)
  }

  private func podProcesses(_ cluster: LocalTestCluster) -> [Int32] {
    LocalTestCluster.runningProcesses(mentioning: "\(cluster.directory)/volumes/")
  }

  private func supervisorPID(_ cluster: LocalTestCluster) throws -> Int32 {
    try #require(try cluster.layout.readConfig().supervisorPID)
  }

  @Test(
    "the control API refuses a request without the token, other users cannot control the cluster, a pod that does not exist is an error; the pilot closes a half-sent request; a later up runs the remembered etcd; --purge keeps the user's files"
  )
  func controlAndSettings() async throws {
    try await withLocalCluster(replicas: 1, version: .v3_5) { cluster in
      let layout = cluster.layout
      let mode = { (path: String) in
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
      }
      #expect(mode(layout.directory) == 0o700)
      #expect(mode(layout.controlTokenFile) == 0o600)
      let pod = try await cluster.pid(0)
      let port = try #require(try layout.readConfig().controlPort)

      // Anyone on this machine can connect to the port; without the token nothing happens.
      for request in [
        "POST /kill?ordinal=0&signal=KILL HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /down HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-the-token\r\n\r\n",
      ] {
        let connection = try RawTCPConnection(port: port)
        connection.send(request)
        let answer: String? = connection.readUntilClosed(limit: .seconds(10))
        #expect(answer?.hasPrefix("HTTP/1.1 401") == true, "\(answer ?? "no answer")")
      }
      if getuid() == 0 {
        let asNobody = try ProcessOutput.run(
          "/usr/bin/setpriv",
          [
            "--reuid=65534", "--regid=65534", "--clear-groups", "--", try PilotBinary.path, "local", "kill", "0",
            "--dir", cluster.directory,
          ])
        expectOneLineError(asNobody, mentions: ["cannot read", "belongs to uid 0"])
      }
      #expect(try await cluster.pid(0) == pod, "the pod was killed")
      #expect(try await cluster.control.status().pods.first?.state == "running")

      for arguments in [["wipe", "5", "--no-wait"], ["partition", "5"], ["kill", "5", "--no-wait"]] {
        expectOneLineError(try await local(cluster, arguments), mentions: ["pod etcd-5 does not exist", "1 pods"])
      }

      // The pilot's HTTP server: half a request head is not held open.
      let half = try RawTCPConnection(host: cluster.address(0), port: 2390)
      half.send("GET /readyz HTTP/1.1\r\nHost: x\r\n")
      let unanswered: String? = half.readUntilClosed(limit: .seconds(20))
      #expect(
        unanswered == "", "the pilot kept a half-sent request's connection: \(unanswered ?? "still open after 20 s")")

      // Made with etcd 3.5: after a down, another etcd is refused and no --etcd runs 3.5 again.
      try await cluster.local(["down"])
      expectOneLineError(
        try await local(cluster, ["up", "--detach", "--etcd", EtcdVersion.v3_4.etcd]),
        mentions: ["made with etcd 3.5.", "omit --etcd"])
      let again = try await cluster.local(["up", "--detach"])
      #expect(again.contains("(etcd 3.5.") && again.contains("| 3.5."), "\(again)")

      FileManager.default.createFile(atPath: "\(cluster.directory)/notes.txt", contents: Data("mine".utf8))
      let purged = try await cluster.local(["down", "--purge"])
      #expect(purged.contains("kept what it did not make: notes.txt"), "\(purged)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: cluster.directory) == ["notes.txt"])
    }
  }

  @Test(
    "pods die with a supervisor killed by SIGKILL; pods it leaves behind are named by status, refused by up, stopped by down --purge"
  )
  func supervisorDeath() async throws {
    try await withLocalCluster(replicas: 1, version: .v3_4) { cluster in
      #expect(!podProcesses(cluster).isEmpty)
      kill(try supervisorPID(cluster), SIGKILL)
      _ = try await eventually("the pods to stop after their supervisor died", timeout: .seconds(40)) {
        podProcesses(cluster).isEmpty ? true : nil
      }
      expectOneLineError(try await local(cluster, ["status"]), mentions: ["is not running"])

      // A pilot killed outright takes its etcd with it (the etcd's death signal): no etcd runs
      // on without the pilot that drives it.
      try await cluster.local(["up", "--detach"])
      let child = try await cluster.etcdPID(0)
      kill(try await cluster.pid(0), SIGKILL)
      _ = try await eventually("the etcd of a pilot killed by SIGKILL to stop", timeout: .seconds(40)) {
        kill(child, 0) != 0 ? true : nil
      }

      // A pod process the supervisor left behind (one that outlived its death signal: here an
      // etcd started on the pod's volume after the supervisor died) is found, not mistaken.
      kill(try supervisorPID(cluster), SIGKILL)
      _ = try await eventually("the supervisor to be gone") { SupervisorLock.isHeld(cluster.layout) ? nil : true }
      _ = try await eventually("the pods to stop after their supervisor died", timeout: .seconds(40)) {
        podProcesses(cluster).isEmpty ? true : nil
      }
      let leftover = Process()
      leftover.executableURL = URL(fileURLWithPath: EtcdVersion.v3_4.etcd)
      let client = "http://\(cluster.address(0)):2379"
      let peer = "http://\(cluster.address(0)):2380"
      leftover.arguments = [
        "--name", "etcd-0", "--data-dir", cluster.layout.volume("etcd-0") + "/etcd", "--listen-client-urls", client,
        "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
      ]
      leftover.standardOutput = FileHandle.nullDevice
      leftover.standardError = FileHandle.nullDevice
      try leftover.run()
      defer { if leftover.isRunning { leftover.terminate() } }
      let etcd = leftover.processIdentifier
      // The spawned process names the volume once it has exec'd etcd, which a loaded machine may
      // take a moment to do.
      _ = try? await eventually("the etcd left on the pod's volume to run") {
        podProcesses(cluster) == [etcd] ? true : nil
      }
      #expect(podProcesses(cluster) == [etcd])
      let status = try await local(cluster, ["status"])
      expectOneLineError(
        status,
        mentions: ["is not running, but its supervisor left", "pod processes running", "\(etcd) (etcd)", "local down"])
      expectOneLineError(
        try await local(cluster, ["up", "--detach"]), mentions: ["from an earlier run still run", "\(etcd) (etcd)"])
      #expect(podProcesses(cluster) == [etcd])

      let down = try await local(cluster, ["down", "--purge"])
      #expect(down.exitCode == 0, "\(down.output)")
      #expect(down.output.contains("is gone, but") && down.output.contains("stopping them"), "\(down.output)")
      #expect(podProcesses(cluster).isEmpty)
      #expect(!FileManager.default.fileExists(atPath: cluster.directory))
    }
  }

  @Test("a foreground up writes its progress to a redirected stdout as it goes; SIGHUP stops the cluster, data kept")
  func foregroundUp() async throws {
    try await withLocalClusterDirectory(version: .v3_4) { cluster in
      let log = "\(FileManager.default.temporaryDirectory.path)/etcd-pilot-test-up-\(UUID().uuidString.prefix(8)).out"
      FileManager.default.createFile(atPath: log, contents: nil)
      defer { try? FileManager.default.removeItem(atPath: log) }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: try PilotBinary.path)
      process.arguments = [
        "local", "up", "--dir", cluster.directory, "--replicas", "1", "--etcd", EtcdVersion.v3_4.etcd, "--address-base",
        cluster.addressBase, "--timeout", "100s",
      ]
      process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
      process.standardError = process.standardOutput
      try process.run()
      defer { if process.isRunning { process.interrupt() } }
      let output = { String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self) }
      _ = try await eventually(
        "'the cluster is up' in the redirected output while up runs", timeout: .seconds(100), every: .milliseconds(200)
      ) {
        #expect(process.isRunning, "up exited: \(output())")
        return output().contains("the cluster is up") ? true : nil
      }
      #expect(output().contains("starting 1 members") && output().contains("cluster is healthy"), "\(output())")

      // The terminal of a foreground up closes.
      kill(process.processIdentifier, SIGHUP)
      _ = try await eventually("up to stop on SIGHUP", timeout: .seconds(60)) { process.isRunning ? nil : true }
      #expect(podProcesses(cluster).isEmpty, "pods outlived their supervisor: \(podProcesses(cluster))")
      #expect(FileManager.default.fileExists(atPath: cluster.layout.volume("etcd-0") + "/etcd/member"))
      #expect(output().contains("SIGHUP received") || output().contains("stopping every pod"), "\(output())")
    }
  }

  @Test(
    "a foreign etcd on a pod's address is refused before anything starts; of two ups at once one runs; a timed-out up --detach stops its supervisor"
  )
  func upRefusalsAndCleanup() async throws {
    try await withLocalClusterDirectory(version: .v3_4) { cluster in
      let address = cluster.address(0)
      let foreignData =
        "\(FileManager.default.temporaryDirectory.path)/etcd-pilot-test-foreign-\(UUID().uuidString.prefix(8))"
      defer { try? FileManager.default.removeItem(atPath: foreignData) }
      let foreign = Process()
      foreign.executableURL = URL(fileURLWithPath: EtcdVersion.v3_4.etcd)
      foreign.arguments = [
        "--name", "foreign", "--data-dir", foreignData, "--listen-client-urls", "http://\(address):2379",
        "--advertise-client-urls", "http://\(address):2379", "--listen-peer-urls", "http://\(address):2380",
        "--initial-advertise-peer-urls", "http://\(address):2380", "--initial-cluster",
        "foreign=http://\(address):2380",
      ]
      foreign.standardOutput = FileHandle.nullDevice
      foreign.standardError = FileHandle.nullDevice
      try foreign.run()
      defer {
        if foreign.isRunning {
          foreign.terminate()
          foreign.waitUntilExit()
        }
      }
      let foreignClient = EtcdClientConfiguration(endpoints: [EtcdEndpoint(host: address)], callTimeout: .seconds(2))
      _ = try await eventually("the foreign etcd to answer") {
        try await withEtcdClient(foreignClient) { try await $0.memberList().members.count }
      }
      let refused = try await local(
        cluster,
        ["up", "--detach", "--replicas", "1", "--etcd", EtcdVersion.v3_4.etcd, "--address-base", cluster.addressBase])
      expectOneLineError(refused, mentions: ["\(address):2379", "(etcd)", "not by this cluster"])
      #expect(!FileManager.default.fileExists(atPath: cluster.directory), "the refused up made its folder")
      #expect(try await withEtcdClient(foreignClient) { try await $0.memberList().members.map(\.name) } == ["foreign"])
      foreign.terminate()
      foreign.waitUntilExit()

      // Two ups on one new folder at the same time.
      let arguments = [
        "up", "--detach", "--replicas", "1", "--etcd", EtcdVersion.v3_4.etcd, "--address-base", cluster.addressBase,
      ]
      async let first = local(cluster, arguments)
      async let second = local(cluster, arguments)
      let results = try await [first, second]
      #expect(results.filter { $0.exitCode == 0 }.count == 1, "\(results.map(\.output))")
      if let loser = results.first(where: { $0.exitCode != 0 }) {
        expectOneLineError(loser, mentions: ["already runs in \(cluster.directory)"])
      }
      try await cluster.expectMembers(1)

      // An up that cannot converge in time stops the supervisor it started.
      try await cluster.local(["down"])
      let late = try await local(
        cluster, ["up", "--detach", "--replicas", "3", "--start-delay", "2=600", "--timeout", "12s"])
      #expect(late.exitCode != 0)
      #expect(
        late.output.contains("did not converge within")
          && late.output.contains("stopping the supervisor this `up` started"), "\(late.output)")
      #expect(!SupervisorLock.isHeld(cluster.layout))
      _ = try await eventually("no pod to run after the failed up", timeout: .seconds(30)) {
        podProcesses(cluster).isEmpty ? true : nil
      }
    }
  }
}
