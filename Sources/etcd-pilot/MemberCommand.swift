import ArgumentParser
import Foundation
import Kubernetes
import LocalPlatform
import Logging
import Membership
import Pilot

/// `etcd-pilot member`: the entrypoint of an etcd pod.
struct MemberCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "member",
    abstract: "Runs one etcd member: bootstraps, joins, re-joins, leaves and supervises etcd.",
    discussion: """
      Flags after `--` go to etcd as they are. Identity can come from the environment as a \
      Kubernetes pod gets it: POD_NAME, POD_NAMESPACE, POD_UID.
      """
  )

  @Option(help: "The pod name, e.g. etcd-2 (default: $POD_NAME). Its numeric suffix is the ordinal.")
  var name: String?

  @Option(help: "The namespace (default: $POD_NAMESPACE or 'default').")
  var namespace: String?

  @Option(help: "The pod's UID (default: $POD_UID, or a random one).")
  var uid: String?

  @Option(help: "The headless Service (default: the StatefulSet's name).")
  var service: String?

  @Option(name: .customLong("cluster-domain"), help: "The cluster's DNS domain.")
  var clusterDomain = "cluster.local"

  @Option(
    name: .customLong("host-template"),
    help:
      "A pod's host: {name}, {ordinal}, {ordinal+N}, {statefulset}, {service}, {namespace}, {clusterDomain}, or a literal."
  )
  var hostTemplate = "{name}.{service}.{namespace}.svc.{clusterDomain}"

  @Option(name: .customLong("client-port")) var clientPort = 2379
  @Option(name: .customLong("peer-port")) var peerPort = 2380
  @Option(
    name: .customLong("peer-listen-port"), help: "Where etcd listens for peers, if not --peer-port (a proxy in front).")
  var peerListenPort: Int?
  @Option(name: .customLong("pilot-port"), help: "The pilot's HTTP port: /healthz, /readyz, /status.")
  var pilotPort = 2390
  @Option(name: .customLong("listen-host"), help: "The address etcd and the pilot listen on.")
  var listenHost = "0.0.0.0"
  @Flag(
    name: .customLong("listen-localhost"),
    help: "Also listen on 127.0.0.1 (etcd's client port, the pilot's port), for kubectl port-forward.")
  var listenLocalhost = false

  @Option(name: .customLong("data-dir"), help: "The pod's volume: etcd's data, the pilot's notes, copies moved aside.")
  var dataDirectory = "/var/lib/etcd"

  @Option(help: "The etcd binary (3.4 or newer).")
  var etcd = "etcd"

  @Option(
    name: .customLong("replicas-from"),
    help:
      "Where the desired replica count comes from: kubernetes (the pod's StatefulSet) or file:PATH (the local StatefulSet)."
  )
  var replicasFrom = "kubernetes"

  @Option(
    name: .customLong("cluster-record"),
    help: "Where the cluster record is kept: kubernetes:configmap/NAME or file:PATH.")
  var clusterRecord: String?

  @Option(name: .customLong("poll-interval"), help: "How often to look again when nothing changes, e.g. 1s.")
  var pollInterval = "1s"

  @Option(
    name: .customLong("tls-ca-dir"),
    help:
      "A CA (ca.crt, ca.key: ECDSA P-256) to issue this member's certificate from: turns on client and peer TLS with client-certificate auth."
  )
  var tlsCADirectory: String?

  @Option(
    name: .customLong("tls-dir"),
    help: "Where the issued certificate goes (default: <data-dir>/tls): ca.crt, member.crt, member.key.")
  var tlsDirectory: String?

  @Option(name: .customLong("tls-validity"), help: "Lifetime of the issued certificate, e.g. 2160h or 90d.")
  var tlsValidity = "90d"

  @Option(name: .customLong("tls-renew-at"), help: "Renew the issued certificate after this fraction of its lifetime.")
  var tlsRenewAt = 2.0 / 3.0

  @Option(
    name: .customLong("tls-san"), help: "Another DNS name or IP address for the issued certificate (repeat for more).")
  var tlsNames: [String] = []

  @Option(
    name: .customLong("tls-cert-file"),
    help: "Instead of --tls-ca-dir: a certificate someone else keeps (cert-manager); reloaded when it changes.")
  var tlsCertificateFile: String?
  @Option(name: .customLong("tls-key-file"), help: "The key of --tls-cert-file.")
  var tlsKeyFile: String?
  @Option(
    name: .customLong("tls-ca-file"), help: "The CA that signed every member's certificate, with --tls-cert-file.")
  var tlsCAFile: String?

  @Option(
    name: .customLong("tls-client-ca-file"),
    help:
      "The CA etcd trusts for client certificates, apart from the members' CA (default: the members' CA); needs --tls-client-cert-file."
  )
  var tlsClientCAFile: String?
  @Option(
    name: .customLong("tls-client-cert-file"),
    help: "The client certificate this pilot presents to etcd, from --tls-client-ca-file.")
  var tlsClientCertificateFile: String?
  @Option(name: .customLong("tls-client-key-file"), help: "The key of --tls-client-cert-file.")
  var tlsClientKeyFile: String?

  @Option(
    name: .customLong("auth-password-file"),
    help:
      "A file holding the root password: the cluster turns on auth when it forms, and the pilot authenticates as root.")
  var authPasswordFile: String?

  @Option(
    name: .customLong("promote-after"),
    help: "How long a joining learner's etcd runs, caught up, before its pilot promotes it to voter.")
  var promoteAfter = "2s"

  @Option(
    name: .customLong("consistency-check-interval"),
    help:
      "How often the pilot beside the leader compares every voter's HashKV and replaces a member whose data diverged, e.g. 5m; off: never."
  )
  var consistencyCheckInterval = "5m"

  @Option(
    name: .customLong("bootstrap-timeout"),
    help: ArgumentHelp(
      "How long an unformed bootstrap may take before a member that never saw a leader gives it up.",
      visibility: .hidden))
  var bootstrapTimeout = "300s"

  @Option(
    name: .customLong("absent-pod-timeout"),
    help:
      "With no cluster yet, how long the bootstrap waits for pods the platform does not run (unschedulable) before the others form the cluster without them."
  )
  var absentPodTimeout = "120s"

  @Option(
    name: .customLong("consistency-check-action"),
    help:
      "What the consistency check does with a voter whose data diverged from an agreeing quorum: replace (remove it, so that it joins again from a fresh copy) or report."
  )
  var consistencyCheckAction = "replace"

  @Option(
    name: .customLong("quota-backend-bytes"),
    help: "etcd's backend quota, in bytes or as a quantity (2Gi, 512Mi); default: etcd's (2 GiB).")
  var quotaBackendBytes: String?

  @Option(
    name: .customLong("auto-compaction-mode"),
    help: "etcd's history compaction: periodic (keep --auto-compaction-retention of time) or revision.")
  var autoCompactionMode: String?

  @Option(
    name: .customLong("auto-compaction-retention"),
    help: "What etcd's compaction keeps: a duration for periodic (1h, 30m), a revision count for revision.")
  var autoCompactionRetention: String?

  @Flag(
    name: .customLong("corruption-checks"),
    help: "Turn on etcd's data-corruption checks this etcd version has (at start; after each compaction on 3.5.5+).")
  var corruptionChecks = false

  @OptionGroup var defrag: DefragOptions

  @Flag(
    name: .customLong("no-leader-handoff"),
    help: ArgumentHelp(
      "Do not hand leadership away before stopping (benchmarks: what the handoff buys).", visibility: .hidden))
  var noLeaderHandoff = false

  @Argument(parsing: .postTerminator, help: "etcd flags, after --")
  var etcdArguments: [String] = []

  func run() async throws {
    let logger = PilotLogging.logger(for: name ?? ProcessInfo.processInfo.environment["POD_NAME"] ?? "member")
    let configuration: PilotConfiguration
    let sources: Sources
    do {
      configuration = try makeConfiguration()
      sources = try makeSources(configuration)
    } catch {
      throw Failure.exit("member", error)
    }
    let pilot = Pilot(
      configuration: configuration, replicas: sources.replicas, records: sources.records, events: sources.events,
      logger: logger)
    let status: Int32
    do {
      status = try await pilot.run()
    } catch {
      await sources.kubernetes?.shutdown()
      throw Failure.exit("member", error)
    }
    await sources.kubernetes?.shutdown()
    if status != 0 { throw ExitCode(status) }
  }

  struct Sources {
    var replicas: any ReplicaSource
    var records: any ClusterRecordStore
    var events: any EventRecorder
    var kubernetes: KubernetesClient?
  }

  /// The replica source, record store and event recorder the flags name; one Kubernetes client
  /// serves all that use the API.
  func makeSources(_ configuration: PilotConfiguration) throws -> Sources {
    let usesKubernetes = replicasFrom == "kubernetes" || clusterRecord?.hasPrefix("kubernetes:") == true
    let kubernetes =
      usesKubernetes ? try KubernetesClient(configuration: try KubernetesClient.Configuration.inCluster()) : nil
    let namespace = configuration.namespace
    let replicas: any ReplicaSource
    if replicasFrom == "kubernetes", let kubernetes {
      replicas = StatefulSetReplicaSource(client: kubernetes, namespace: namespace, name: configuration.statefulSet)
    } else if replicasFrom.hasPrefix("file:") {
      replicas = FileReplicaSource(path: String(replicasFrom.dropFirst(5)))
    } else {
      throw PilotError("--replicas-from '\(replicasFrom)' is not known: use kubernetes or file:PATH")
    }
    let records: any ClusterRecordStore
    let record = clusterRecord ?? "kubernetes:configmap/\(configuration.statefulSet)-cluster"
    if record.hasPrefix("kubernetes:configmap/"), let kubernetes {
      records = ConfigMapRecordStore(
        client: kubernetes, namespace: namespace, name: String(record.dropFirst("kubernetes:configmap/".count)),
        owner: configuration.statefulSet)
    } else if record.hasPrefix("file:") {
      records = FileClusterRecordStore(path: String(record.dropFirst(5)))
    } else {
      throw PilotError("--cluster-record '\(record)' is not known: use kubernetes:configmap/NAME or file:PATH")
    }
    let events: any EventRecorder =
      kubernetes.map {
        KubernetesEventRecorder(client: $0, namespace: namespace, pod: configuration.name, uid: configuration.uid)
      }
      ?? NoEvents()
    return Sources(replicas: replicas, records: records, events: events, kubernetes: kubernetes)
  }

  func makeConfiguration() throws -> PilotConfiguration {
    let environment = ProcessInfo.processInfo.environment
    guard let name = name ?? environment["POD_NAME"], !name.isEmpty else {
      throw PilotError("no pod name: pass --name etcd-0 or set POD_NAME")
    }
    guard let ordinal = PodIdentity.ordinal(ofPodName: name),
      let statefulSet = PodIdentity.statefulSetName(ofPodName: name)
    else {
      throw PilotError(
        "pod name '\(name)' has no ordinal: a StatefulSet pod is named <statefulset>-<ordinal>, e.g. etcd-0")
    }
    let namespace = namespace ?? environment["POD_NAMESPACE"] ?? "default"
    let template = HostTemplate(
      hostTemplate, statefulSet: statefulSet, service: service ?? statefulSet, namespace: namespace,
      clusterDomain: clusterDomain)
    if let unknown = template.unknownPlaceholders.first {
      throw PilotError(
        "--host-template has an unknown placeholder {\(unknown)}: use {name}, {ordinal}, {ordinal+N}, {statefulset}, {service}, {namespace} or {clusterDomain}"
      )
    }
    for (flag, port) in [("--client-port", clientPort), ("--peer-port", peerPort), ("--pilot-port", pilotPort)]
    where !(1...65535).contains(port) {
      throw PilotError("\(flag) \(port) is not a port: use 1-65535")
    }
    let managedTLS = tlsCADirectory != nil || tlsCertificateFile != nil
    if let refusal = EtcdFlagPolicy.refusal(etcdArguments, managedTLS: managedTLS)
      ?? EtcdFlagPolicy.refusal(environment: environment, managedTLS: managedTLS)
    {
      throw PilotError(refusal)
    }
    guard ["replace", "report"].contains(consistencyCheckAction) else {
      throw PilotError("--consistency-check-action '\(consistencyCheckAction)' is not an action: use replace or report")
    }
    let binary = try EtcdBinary.check(etcd)
    let interval = try DurationText.parse(pollInterval, flag: "--poll-interval")
    var configuration = PilotConfiguration(
      name: name, ordinal: ordinal, statefulSet: statefulSet, namespace: namespace,
      uid: uid ?? environment["POD_UID"] ?? UUIDText.random(), hostTemplate: template, clientPort: clientPort,
      peerPort: peerPort, peerListenPort: peerListenPort, pilotPort: pilotPort, listenHost: listenHost,
      volume: dataDirectory, etcdBinary: binary.path, etcdArguments: etcdArguments, tls: try makeTLS(),
      pollInterval: interval, rootPassword: try readRootPassword())
    configuration.listensOnLocalhost = listenLocalhost
    configuration.engineSettings.handsOffLeadership = !noLeaderHandoff
    configuration.engineSettings.absentPodTimeout = try DurationText.parse(
      absentPodTimeout, flag: "--absent-pod-timeout"
    ).seconds
    configuration.engineSettings.replacesDivergedMembers = consistencyCheckAction == "replace"
    configuration.engineSettings.bootstrapTimeout = try DurationText.parse(
      bootstrapTimeout, flag: "--bootstrap-timeout"
    ).seconds
    configuration.engineSettings.minimumLearnerUptime = try DurationText.parse(promoteAfter, flag: "--promote-after")
      .seconds
    configuration.consistencyCheckInterval =
      consistencyCheckInterval == "off"
      ? nil : try DurationText.parse(consistencyCheckInterval, flag: "--consistency-check-interval")
    configuration.etcdVersion = binary.version
    configuration.space = try makeSpace()
    configuration.engineSettings.defragRule = try defrag.rule()
    if let conflict = configuration.space.conflict(with: etcdArguments, version: binary.version) {
      throw PilotError(conflict)
    }
    return configuration
  }

  /// etcd's quota, compaction and corruption checks from the flags.
  func makeSpace() throws -> SpaceSettings {
    var space = SpaceSettings(corruptionChecks: corruptionChecks)
    if let quotaBackendBytes {
      guard let bytes = ByteQuantity.parse(quotaBackendBytes), bytes > 0 else {
        throw PilotError(
          "--quota-backend-bytes '\(quotaBackendBytes)' is not a size: give bytes or a quantity such as 2Gi or 512Mi")
      }
      space.quotaBytes = bytes
    }
    if autoCompactionMode != nil || autoCompactionRetention != nil {
      let modeText = autoCompactionMode ?? "periodic"
      guard let mode = SpaceSettings.Compaction.Mode(rawValue: modeText) else {
        throw PilotError("--auto-compaction-mode '\(modeText)' is not a mode: use periodic or revision")
      }
      guard let retention = autoCompactionRetention, SpaceSettings.Compaction.isRetention(retention, for: mode) else {
        throw PilotError(
          "--auto-compaction-retention '\(autoCompactionRetention ?? "")' is not a retention for \(mode.rawValue) compaction: give \(mode == .periodic ? "a duration such as 1h or 30m" : "a revision count such as 10000")"
        )
      }
      space.compaction = SpaceSettings.Compaction(mode: mode, retention: retention)
    }
    return space
  }

  /// TLS from the flags: an issuing CA, or files kept by someone else, or none.
  func makeTLS() throws -> PilotTLS? {
    let member = try makeMemberTLS()
    let clients = try makeClientTrust(memberTLS: member != nil)
    return member.map {
      PilotTLS(
        caFile: $0.caFile, certificateFile: $0.certificateFile, keyFile: $0.keyFile, issuer: $0.issuer, clients: clients
      )
    }
  }

  /// The clients' CA and this pilot's client certificate, when etcd trusts another CA for
  /// clients than the members'.
  func makeClientTrust(memberTLS: Bool) throws -> PilotTLS.ClientTrust? {
    let files = [tlsClientCAFile, tlsClientCertificateFile, tlsClientKeyFile]
    guard files.contains(where: { $0 != nil }) else { return nil }
    guard memberTLS else {
      throw PilotError(
        "--tls-client-ca-file and its client certificate need the members' TLS: add --tls-ca-dir or --tls-cert-file/--tls-key-file/--tls-ca-file"
      )
    }
    guard let ca = tlsClientCAFile, let certificate = tlsClientCertificateFile, let key = tlsClientKeyFile else {
      throw PilotError(
        "--tls-client-ca-file, --tls-client-cert-file and --tls-client-key-file go together: give all three")
    }
    for (flag, path) in [
      ("--tls-client-ca-file", ca), ("--tls-client-cert-file", certificate), ("--tls-client-key-file", key),
    ]
    where !FileManager.default.isReadableFile(atPath: path) {
      throw PilotError("cannot read \(flag) \(path): check the path and the mounted Secret")
    }
    return PilotTLS.ClientTrust(caFile: ca, certificateFile: certificate, keyFile: key)
  }

  func makeMemberTLS() throws -> PilotTLS? {
    let files = [tlsCertificateFile, tlsKeyFile, tlsCAFile]
    if let tlsCADirectory {
      guard files.allSatisfy({ $0 == nil }) else {
        throw PilotError(
          "--tls-ca-dir and --tls-cert-file/--tls-key-file/--tls-ca-file exclude each other: give the CA to issue from, or the files"
        )
      }
      for file in ["ca.crt", "ca.key"] where !FileManager.default.isReadableFile(atPath: "\(tlsCADirectory)/\(file)") {
        throw PilotError(
          "--tls-ca-dir \(tlsCADirectory) has no readable \(file): create a CA with `etcd-pilot certs ca --out \(tlsCADirectory)`"
        )
      }
      let validity = try DurationText.parse(tlsValidity, flag: "--tls-validity")
      guard tlsRenewAt > 0, tlsRenewAt < 1 else {
        throw PilotError(
          "--tls-renew-at \(tlsRenewAt) is not a fraction of the lifetime: give a number between 0 and 1, e.g. 0.67")
      }
      let issuer = CertificateIssuer(
        caDirectory: tlsCADirectory, validity: validity, renewAt: tlsRenewAt, extraNames: tlsNames)
      return .issued(into: tlsDirectory ?? "\(dataDirectory)/tls", by: issuer)
    }
    guard files.contains(where: { $0 != nil }) else { return nil }
    guard let certificate = tlsCertificateFile, let key = tlsKeyFile, let ca = tlsCAFile else {
      throw PilotError("--tls-cert-file, --tls-key-file and --tls-ca-file go together: give all three")
    }
    for (flag, path) in [("--tls-cert-file", certificate), ("--tls-key-file", key), ("--tls-ca-file", ca)]
    where !FileManager.default.isReadableFile(atPath: path) {
      throw PilotError("cannot read \(flag) \(path): check the path and the mounted Secret")
    }
    return PilotTLS(caFile: ca, certificateFile: certificate, keyFile: key)
  }

  func readRootPassword() throws -> String? {
    guard let authPasswordFile else { return nil }
    guard let data = FileManager.default.contents(atPath: authPasswordFile) else {
      throw PilotError("cannot read --auth-password-file \(authPasswordFile): check the path and the mounted Secret")
    }
    let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !password.isEmpty else {
      throw PilotError("--auth-password-file \(authPasswordFile) is empty: put the root password in it")
    }
    guard tlsCADirectory != nil || tlsCertificateFile != nil else {
      throw PilotError("--auth-password-file without TLS would send the root password in the clear: add --tls-ca-dir")
    }
    return password
  }
}

enum UUIDText {
  static func random() -> String { UUID().uuidString.lowercased() }
}

/// swift-log set up for the command line: one line per event, to stderr, with the pod's name.
enum PilotLogging {
  static func logger(for name: String) -> Logger {
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = ProcessInfo.processInfo.environment["ETCD_PILOT_DEBUG"] == nil ? .info : .debug
      return handler
    }
    return Logger(label: "etcd-pilot[\(name)]")
  }
}
