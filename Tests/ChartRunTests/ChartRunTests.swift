import EtcdClient
import EtcdTestFixtures
import Foundation
import LocalCluster
import PKI
import Pilot
import Testing
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// The chart run for real: `helm template` renders it, the local StatefulSet runs the rendered
/// StatefulSet's pod template (command, args, env with downward-API values, volume mounts,
/// probes, grace period) with the headless Service's names in a private /etc/hosts, and serves
/// the agent the Kubernetes API paths it uses in a cluster. The old chart's flows run through it.
@Suite("Chart run for real", .serialized, .timeLimit(.minutes(15)))
struct ChartRunTests {
  /// Renders the chart with `values`, as `helm template <release> charts/etcd` does.
  static func render(release: String = "demo", _ values: [String] = []) throws -> String {
    let helm = "\(RepositoryRoot.path)/.tools/helm/helm"
    guard FileManager.default.isExecutableFile(atPath: helm) else {
      throw FixtureError("helm is not installed at \(helm): run scripts/setup.sh")
    }
    let result = try ProcessOutput.run(
      helm, ["template", release, "\(RepositoryRoot.path)/charts/etcd"] + values.flatMap { ["--set", $0] }, timeout: 60)
    guard result.exitCode == 0 else { throw FixtureError("helm template failed: \(result.output)") }
    return result.output
  }

  @Test("install 3, health, kill -9 a member, scale to 5 and to 4: data kept on restart, cleaned on scale-down")
  func oldChartFlows() async throws {
    guard getuid() == 0 else {
      throw FixtureError("the chart run needs root (a mount namespace per pod, as CI runs): run the suite as root")
    }
    let manifest = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-chart-\(UUID().uuidString).yaml"
    ).path
    try Data(try Self.render().utf8).write(to: URL(fileURLWithPath: manifest))
    defer { try? FileManager.default.removeItem(atPath: manifest) }

    try await withLocalCluster(
      replicas: 3, version: .v3_5, arguments: ["--manifest", manifest], statefulSet: "demo-etcd"
    ) { cluster in
      try await cluster.expectMembers(3, named: "demo-etcd")
      // Health, as NOTES.txt tells users: `kubectl exec demo-etcd-0 -- etcd-pilot health` (the
      // pod's ETCDCTL_ENDPOINTS, and its /etc/hosts resolving the headless Service's names).
      let health = try await cluster.local(["exec", "0", "--", "etcd-pilot", "health"])
      #expect(health.contains("cluster is healthy"), "\(health)")
      #expect(health.contains(".demo-etcd-headless.default.svc.cluster.local:2379"))

      // The pods run as the chart's user, with the env and mounts it gives them.
      let pods = try await cluster.control.status().pods
      for pod in pods {
        let pid = try #require(pod.pid)
        let pilot = try #require(
          LocalTestCluster.descendants(of: pid).first { LocalTestCluster.commandLine(of: $0).contains("member") })
        #expect(LocalTestCluster.uid(of: pilot) == 10001, "\(pod.name) does not run as the chart's user 10001")
        let environment = LocalTestCluster.environment(of: pilot)
        #expect(environment["POD_NAME"] == pod.name)
        #expect(environment["POD_IP"] == pod.address)
        #expect(
          environment["ETCDCTL_ENDPOINTS"]?.hasPrefix("https://\(pod.name).") == true, "TLS is the chart's default")
      }
      // Ready by the chart's readiness probe (GET /readyz every 5 s), as `kubectl get pods` shows.
      let readiness = try await eventually("every pod ready by its readiness probe") { () -> [String]? in
        let pods = try await cluster.control.status().pods
        return pods.allSatisfy { $0.ready == true } ? pods.map(\.name) : nil
      }
      #expect(readiness.count == 3)

      // The cluster record is in its ConfigMap, written through the API the chart's Role allows.
      let objects = try await eventually("the cluster record ConfigMap") { () -> String? in
        let text = String(
          decoding: FileManager.default.contents(atPath: "\(cluster.directory)/kubernetes/objects.json") ?? Data(),
          as: UTF8.self)
        return text.contains("demo-etcd-cluster") && text.contains("etcd-pilot-") ? text : nil
      }
      #expect(objects.contains("ClusterRecorded"))
      // Owned by nothing: like the volumes, it outlives `kubectl delete sts` and `helm uninstall`.
      #expect(!objects.contains("ownerReferences"), "\(objects)")

      try await cluster.withClient { etcd in for index in 0..<50 { try await etcd.put("chart/\(index)", "\(index)") } }
      // Client and peer TLS, by default.
      let members = try await cluster.members()
      #expect(
        members.allSatisfy {
          $0.peerURLs.allSatisfy { $0.hasPrefix("https://") } && $0.clientURLs.allSatisfy { $0.hasPrefix("https://") }
        })
      let ids = try await cluster.memberIDs()

      // Failover: kill -9 a member; it comes back with its data and member ID.
      try await cluster.kill(1)
      try await cluster.expectMembers(3, named: "demo-etcd")
      #expect(try await cluster.memberIDs() == ids)
      let count = try await cluster.withClient(endpoints: [cluster.endpoint(1)]) {
        try await $0.get(.prefix("chart/"), serializable: true, countOnly: true).count
      }
      #expect(count == 50)

      // kubectl scale --replicas=5, then 4.
      try await cluster.scale(5)
      try await cluster.expectMembers(5, named: "demo-etcd")
      try await cluster.scale(4)
      try await cluster.expectMembers(4, named: "demo-etcd")
      let aside = try await eventually("demo-etcd-4's data moved aside") {
        try? FileManager.default.contentsOfDirectory(atPath: "\(cluster.layout.volume("demo-etcd-4"))/aside")
      }
      #expect(aside.count == 1, "the scaled-down pod's data was not cleaned: \(aside)")
      let events = String(
        decoding: FileManager.default.contents(atPath: "\(cluster.directory)/kubernetes/objects.json") ?? Data(),
        as: UTF8.self)
      #expect(events.contains("MemberAdded") && events.contains("MemberPromoted") && events.contains("MemberRemoved"))
      #expect(try await cluster.withClient { try await $0.get(.prefix("chart/"), countOnly: true).count } == 50)
    }
  }

  /// A client pod's script (the `helm test` hook's, the backup job's) and its plain environment
  /// values, from the rendered document that contains `marker`.
  static func clientScript(
    in rendered: String, marker: String, path: [String]
  ) throws -> (script: String, environment: [String]) {
    let document = try #require(rendered.components(separatedBy: "\n---").first { $0.contains(marker) })
    let object = try #require(try Yams.load(yaml: document) as? [String: Any])
    let container = try #require((object.value(at: path + ["containers"]) as? [[String: Any]])?.first)
    let body = try #require((container["args"] as? [String])?.first, "no script in the pod of \(marker)")
    var environment = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"]
    for variable in container["env"] as? [[String: Any]] ?? [] {
      if let name = variable["name"] as? String, let value = variable["value"] as? String {
        environment.append("\(name)=\(value)")
      }
    }
    return (body, environment)
  }

  @Test(
    "auth on: calls without the root password are refused; the helm test hook's and the backup job's scripts pass in a pod"
  )
  func authAndHelmTest() async throws {
    guard getuid() == 0 else {
      throw FixtureError("the chart run needs root (a mount namespace per pod, as CI runs): run the suite as root")
    }
    let rendered = try Self.render(["auth.enabled=true", "backup.enabled=true", "backup.keep=2"])
    let manifest = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-chart-\(UUID().uuidString).yaml"
    ).path
    try Data(rendered.utf8).write(to: URL(fileURLWithPath: manifest))
    defer { try? FileManager.default.removeItem(atPath: manifest) }
    // The `helm test` pod's script (its mounts — the CA, the root password, /tmp — are the members'
    // too), with the test pod's own environment (its plain values; its UID made up), not the member's.
    let helmTest = try Self.clientScript(in: rendered, marker: "helm.sh/hook: test", path: ["spec"])
    let (body, environment) = (helmTest.script, helmTest.environment + ["POD_UID=helm-test"])
    #expect(
      environment.contains { $0.hasPrefix("ETCDCTL_ENDPOINTS=https://demo-etcd.default.svc.cluster.local:") },
      "\(environment)")
    // The backup job's. A member pod has no volume at /backups, so the job writes to a folder on
    // pod 0's own volume instead (every other path of the pod is private to it), owned by the
    // chart's user as fsGroup would make it.
    let backupJob = try Self.clientScript(
      in: rendered, marker: "kind: CronJob", path: ["spec", "jobTemplate", "spec", "template", "spec"])
    #expect(backupJob.environment.contains("BACKUP_DIR=/backups"), "\(backupJob.environment)")
    let backupEnvironment =
      backupJob.environment.filter { !$0.hasPrefix("BACKUP_DIR=") } + ["BACKUP_DIR=/var/run/etcd/backups-of-the-test"]

    try await withLocalCluster(
      replicas: 3, version: .v3_5, arguments: ["--manifest", manifest], statefulSet: "demo-etcd"
    ) { cluster in
      try await cluster.expectMembers(3, named: "demo-etcd")
      let config = try cluster.layout.readConfig()
      #expect(config.rootPasswordFile != nil)
      // The cluster's CA but no password: etcd takes the certificate's name as the user, who may not read.
      try await withEtcdClient(.init(endpoints: [cluster.endpoint(0)], tls: config.clientTLS, callTimeout: .seconds(3)))
      { etcd in
        let error = await #expect(throws: EtcdError.self) { _ = try await etcd.get("anything") }
        #expect(error?.code == .permissionDenied, "\(String(describing: error))")
      }
      // No pod holds a key etcd trusts for clients (issue 13, item 4). A member's mounts: the
      // members' CA with its key (to issue its own certificate) and the clients' certificate
      // without the clients' CA key. A CN=root certificate made from the member's key is refused.
      let mounts = "\(cluster.directory)/pods/demo-etcd-0"
      let visible = { (path: String) in
        try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix("..") }.sorted()
      }
      let clientsFiles = try visible("\(mounts)/secret-clients")
      let caFiles = try visible("\(mounts)/secret-ca")
      #expect(clientsFiles == ["ca.crt", "tls.crt", "tls.key"], "\(clientsFiles)")
      #expect(caFiles == ["ca.crt", "ca.key"], "\(caFiles)")
      let minted = "\(cluster.directory)/minted"
      try FileManager.default.createDirectory(atPath: minted, withIntermediateDirectories: true)
      try CertificateAuthority.read(from: "\(mounts)/secret-ca").issue(commonName: "root", usage: .client).write(
        to: minted, name: "root")
      let clientTLS = try #require(config.clientTLS)
      let rootFromMember = EtcdClientConfiguration.TLS(
        caFile: clientTLS.caFile, certificateFile: "\(minted)/root.crt", keyFile: "\(minted)/root.key")
      try await withEtcdClient(.init(endpoints: [cluster.endpoint(0)], tls: rootFromMember, callTimeout: .seconds(3))) {
        etcd in
        let error = await #expect(throws: EtcdError.self, "etcd took a root certificate made from a member's files") {
          _ = try await etcd.get("anything")
        }
        #expect(
          error?.code == .tls && error?.description.contains("refused the client certificate") == true,
          "\(String(describing: error))")
      }

      // The agents formed the cluster reading each other's /status over mTLS (item 5): the pilot
      // port is HTTPS and answers /status to a client certificate of the cluster only.
      let pilot = config.pilotURL(0)
      #expect(pilot.hasPrefix("https://"))
      #expect(await PilotStatusFetch.status(at: pilot, tls: clientTLS)?.pod == "demo-etcd-0")
      #expect(
        await PilotStatusFetch.status(at: pilot, tls: .init(caFile: clientTLS.caFile)) == nil,
        "/status without a client certificate")

      // The client Service's name resolves in the pods (to a member, as its ClusterIP would route).
      let output = try await cluster.local(["exec", "0", "--", "env", "-i"] + environment + ["/bin/sh", "-c", body])
      #expect(output.contains("read it back"), "\(output)")
      #expect(output.contains("cluster is healthy"), "\(output)")

      // Three scheduled runs of the backup job: each a snapshot from the leader, the newest two kept.
      let backups = "\(cluster.layout.volume("demo-etcd-0"))/backups-of-the-test"
      try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
      #expect(chown(backups, 10001, 10001) == 0)
      try await cluster.withClient { etcd in
        for index in 0..<50 { try await etcd.put("backed-up/\(index)", "\(index)") }
      }
      for _ in 0..<3 {
        let run = try await cluster.local(
          ["exec", "0", "--", "env", "-i"] + backupEnvironment + ["/bin/sh", "-c", backupJob.script])
        #expect(
          run.contains("backup: /var/run/etcd/backups-of-the-test/etcd-") && run.contains("(leader, etcd 3.5.1)"),
          "\(run)")
      }
      let files = try FileManager.default.contentsOfDirectory(atPath: backups).sorted()
      let snapshots = files.filter { $0.hasSuffix(".db") }
      #expect(snapshots.count == 2 && files.count == 4, "\(files)")
      for snapshot in snapshots {
        let status = try ProcessOutput.run(
          EtcdVersion.v3_5.snapshotTool, ["snapshot", "status", "\(backups)/\(snapshot)", "-w", "json"])
        #expect(status.exitCode == 0, "\(status.output)")
      }
    }
  }
}

extension ChartRunTests {
  /// Issue 13, item 7, through the chart: one pod the platform does not run (started 40 s late,
  /// as a Pending pod would be) keeps the others from forming the cluster only for
  /// `absentPodTimeout`; it joins as a learner once it runs.
  @Test(
    "the chart with a pod that does not run: the others form the cluster after absentPodTimeout, and it joins when it runs"
  )
  func podNotRun() async throws {
    let manifest = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-chart-\(UUID().uuidString).yaml"
    ).path
    try Data(try Self.render(["absentPodTimeout=5s", "tls.enabled=false"]).utf8).write(
      to: URL(fileURLWithPath: manifest))
    defer { try? FileManager.default.removeItem(atPath: manifest) }
    try await withStartingLocalCluster(
      replicas: 3, version: .v3_5, arguments: ["--manifest", manifest, "--start-delay", "2=40"]
    ) { cluster in
      let running = [cluster.endpoint(0), cluster.endpoint(1)]
      try await eventually("demo-etcd-0 and demo-etcd-1 to form a cluster of two and serve", timeout: .seconds(35)) {
        try await cluster.withClient(endpoints: running, timeout: .seconds(2)) { etcd in
          try await etcd.put("early", "1")
          return try await etcd.memberList().members.count == 2 ? true : nil
        }
      }
      let log = String(
        decoding: FileManager.default.contents(atPath: cluster.layout.log("demo-etcd-0")) ?? Data(), as: UTF8.self)
      #expect(log.contains("demo-etcd-2 has not run for"), "\(log.suffix(2000))")
    }
  }

  @Test("cert-manager's certificate: members run on its files and pick up a renewal without a restart")
  func certManagerFiles() async throws {
    guard getuid() == 0 else {
      throw FixtureError("the chart run needs root (a mount namespace per pod, as CI runs): run the suite as root")
    }
    var rendered = try Self.render(["tls.certManager.enabled=true", "tls.certManager.issuerRef.name=test-issuer"])
    let document = try #require(rendered.components(separatedBy: "\n---").first { $0.contains("kind: Certificate") })
    let certificate = try #require(try Yams.load(yaml: document) as? [String: Any])
    let spec = try #require(certificate["spec"] as? [String: Any])
    let secretName = try #require(spec["secretName"] as? String)
    let dnsNames = try #require(spec["dnsNames"] as? [String])
    // What cert-manager would store in the Secret: a certificate for the Certificate's names,
    // plus the pods' loopback addresses (the local tools reach pods by address).
    let addressBase = try Loopback.block()
    let addresses = (spec["ipAddresses"] as? [String] ?? []) + (1...8).map { "\(addressBase).\($0)" }
    let issuer = try CertificateAuthority.create(commonName: "test issuer")
    func secretFiles(validity: Duration) throws -> [String: Data] {
      let issued = try issuer.issue(
        commonName: "demo-etcd", dnsNames: dnsNames, ipAddresses: addresses, usage: [.server, .client],
        validity: validity)
      return [
        "tls.crt": Data(try issued.certificatePEM.utf8), "tls.key": Data(issued.keyPEM.utf8),
        "ca.crt": Data(try issuer.certificatePEM.utf8),
      ]
    }
    let first = try secretFiles(validity: .seconds(86400))
    rendered +=
      "\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: \(secretName)\n  namespace: default\ntype: kubernetes.io/tls\ndata:\n"
      + first.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value.base64EncodedString())\n" }.joined()
    let manifest = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etcd-pilot-test-chart-\(UUID().uuidString).yaml"
    ).path
    try Data(rendered.utf8).write(to: URL(fileURLWithPath: manifest))
    defer { try? FileManager.default.removeItem(atPath: manifest) }

    try await withLocalCluster(
      replicas: 3, version: .v3_5, arguments: ["--manifest", manifest], statefulSet: "demo-etcd",
      addressBase: addressBase
    ) { cluster in
      try await cluster.expectMembers(3, named: "demo-etcd")
      let members = try await cluster.members()
      #expect(members.allSatisfy { $0.peerURLs.allSatisfy { $0.hasPrefix("https://") } })

      // cert-manager renews (a new key: the chart asks for rotationPolicy Always); the kubelet
      // swaps the Secret volume's files at once.
      let renewed = try secretFiles(validity: .seconds(2 * 86400))
      for ordinal in 0..<3 {
        try SecretVolume.write(
          renewed, to: "\(cluster.directory)/pods/demo-etcd-\(ordinal)/secret-tls", mode: 0o440, owner: (10001, 10001))
      }
      try await eventually("every pilot to notice the renewed files", timeout: .seconds(30), every: .milliseconds(500))
      { () -> Bool? in
        let logs = (0..<3).map {
          (try? String(contentsOfFile: cluster.layout.log("demo-etcd-\($0)"), encoding: .utf8)) ?? ""
        }
        return logs.allSatisfy { $0.contains("the certificate files changed") } ? true : nil
      }
      // New handshakes with every member keep working; nothing restarted.
      let config = try cluster.layout.readConfig()
      for index in 0..<30 {
        try await withEtcdClient(
          try config.clientConfiguration([cluster.endpoint(index % 3)], callTimeout: .seconds(5))
        ) {
          try await $0.put("renewed/\(index)", "v")
        }
      }
      #expect(try await cluster.control.status().pods.allSatisfy { $0.restarts == 0 })
      // A member joins the cluster on the certificate files.
      try await cluster.scale(4)
      try await cluster.expectMembers(4, named: "demo-etcd")
    }
  }
}

extension Dictionary where Key == String, Value == Any {
  /// The value at a path of keys.
  func value(at path: [String]) -> Any? {
    var current: Any? = self
    for key in path { current = (current as? [String: Any])?[key] }
    return current
  }
}
