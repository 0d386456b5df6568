import ArgumentParser
import ChildProcess
import Foundation
import LocalCluster
import Logging
import Pilot

/// `etcd-pilot local up`: starts (or restarts, with its data) a local cluster.
struct LocalUpCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up",
    abstract: "Starts a local cluster and prints its health once every member is a started voter.")

  @OptionGroup var options: LocalOptions

  @Option(parsing: .unconditional, help: "How many members (default: 3, or the count the cluster had).")
  var replicas: Int?

  @Option(help: "The etcd binary (3.4 or newer).")
  var etcd = "etcd"

  @Flag(help: "Return once the cluster is up; a supervisor keeps it running in the background.")
  var detach = false

  @Option(name: .customLong("address-base"), help: "First three octets of the pods' loopback addresses.")
  var addressBase: String?

  @Flag(name: .customLong("no-proxies"), help: "No fault-injecting peer proxies (partition/heal unavailable).")
  var noProxies = false

  @Option(name: .customLong("grace-period"), help: "Seconds a terminating pod gets before SIGKILL.")
  var gracePeriod: Int?

  @Option(name: .customLong("start-delay"), help: "ORDINAL=SECONDS: start that pod late (slow scheduling, for tests).")
  var startDelays: [String] = []

  @Option(name: .customLong("poll-interval"), help: "The pilots' poll interval while nothing changes.")
  var pollInterval: String?

  @Option(
    name: .customLong("consistency-check-interval"),
    help: "How often the pilot beside the leader compares the members' data (HashKV), e.g. 15s; off: never.")
  var consistencyCheckInterval: String?

  @Option(help: "Run a rendered chart's StatefulSet (`helm template` output) instead of the pilot's own command line; needs root.")
  var manifest: String?

  @Option(name: .customLong("image-file"), help: "With --manifest: IMAGEPATH=LOCALPATH for a file of the image (etcd-pilot and etcd are mapped by default).")
  var imageFiles: [String] = []

  @Flag(help: "Client and peer TLS with client certificates: a CA in <dir>/tls issues each member's certificate; local tools use <dir>/tls/client.crt.")
  var tls = false

  @Option(name: .customLong("tls-validity"), help: "With --tls: the lifetime of the members' certificates, e.g. 90d (renewed at two thirds).")
  var tlsValidity: String?

  @Flag(help: "With --tls: turn on etcd auth with a generated root password in <dir>/auth/root-password.")
  var auth = false

  @Option(
    name: .customLong("pilot-arg"),
    help: ArgumentHelp("A flag for every pod's `etcd-pilot member` (repeat for more), e.g. --pilot-arg=--no-leader-handoff.", visibility: .hidden))
  var pilotArguments: [String] = []

  @Argument(parsing: .postTerminator, help: "etcd flags for every member, after --")
  var etcdArguments: [String] = []

  func run() async throws {
    do {
      try await up()
    } catch let error as ExitCode {
      throw error
    } catch {
      throw Failure.exit("local up", error)
    }
  }

  /// The replica count a rendered chart asks for, read by `configureChart`.
  private var chartReplicas: Int? {
    guard let manifest, let yaml = FileManager.default.contents(atPath: manifest),
      let chart = try? ChartManifest.parse(String(decoding: yaml, as: UTF8.self))
    else { return nil }
    return chart.statefulSet.spec.replicas
  }

  /// Runs the chart's pods: its StatefulSet name and namespace, the image's files mapped to
  /// this machine's, no peer proxies (the pods listen where the chart says).
  private func configureChart(manifest: String, config: inout LocalClusterConfig, etcd: String) throws {
    guard getuid() == 0 else {
      throw LocalClusterError("--manifest runs each pod in a mount namespace of its own, which needs root")
    }
    guard let yaml = FileManager.default.contents(atPath: manifest) else {
      throw LocalClusterError("cannot read the rendered chart \(manifest)")
    }
    let chart = try ChartManifest.parse(String(decoding: yaml, as: UTF8.self))
    config.statefulSet = chart.statefulSet.metadata.name ?? config.statefulSet
    config.namespace = "default"
    config.proxies = false
    config.pilotPort = chart.container.ports?.first { $0.name == "pilot" }?.containerPort ?? config.pilotPort
    config.clientPort = chart.container.ports?.first { $0.name == "client" }?.containerPort ?? config.clientPort
    config.peerPort = chart.container.ports?.first { $0.name == "peer" }?.containerPort ?? config.peerPort
    let copy = "\(options.layout.directory)/manifest.yaml"
    try FileManager.default.createDirectory(atPath: options.layout.directory, withIntermediateDirectories: true)
    if FileManager.default.fileExists(atPath: copy) { try FileManager.default.removeItem(atPath: copy) }
    try FileManager.default.copyItem(atPath: manifest, toPath: copy)
    config.manifest = copy
    try LocalSecurity.adoptChart(chart, config: &config, layout: options.layout)
    let etcdDirectory = URL(fileURLWithPath: etcd).deletingLastPathComponent().path
    var files = ["/usr/local/bin/etcd-pilot": SelfExecutable.path, "/usr/local/bin/etcd": etcd]
    for tool in ["etcdctl", "etcdutl"] where FileManager.default.isExecutableFile(atPath: "\(etcdDirectory)/\(tool)") {
      files["/usr/local/bin/\(tool)"] = "\(etcdDirectory)/\(tool)"
    }
    for item in imageFiles {
      let parts = item.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, parts[0].hasPrefix("/") else {
        throw LocalClusterError("--image-file '\(item)' is not IMAGEPATH=LOCALPATH")
      }
      files[String(parts[0])] = String(parts[1])
    }
    config.imageFiles = files
  }

  private func up() async throws {
    let layout = options.layout
    let timeout = try options.waitLimit()
    if let replicas, replicas < 1 {
      throw LocalClusterError("--replicas \(replicas) is not a cluster size: give 1 or more (scale to 0 with `local scale`)")
    }
    if let refusal = EtcdFlagPolicy.refusal(etcdArguments, managedTLS: tls) { throw LocalClusterError(refusal) }
    let binary = try EtcdBinary.check(etcd)
    var config = (try? layout.readConfig()) ?? LocalClusterConfig(etcd: binary.path)
    if let pid = config.supervisorPID, kill(pid, 0) == 0 {
      throw LocalClusterError("a local cluster already runs in \(layout.directory) (supervisor pid \(pid)): see `etcd-pilot local status`")
    }
    config.etcd = binary.path
    if let addressBase {
      let octets = addressBase.split(separator: ".")
      guard octets.count == 3, octets.first == "127", octets.allSatisfy({ UInt8($0) != nil }) else {
        throw LocalClusterError("--address-base '\(addressBase)' is not three octets in 127/8, e.g. 127.0.10")
      }
      config.addressBase = addressBase
    }
    if noProxies { config.proxies = false }
    if let gracePeriod { config.gracePeriodSeconds = gracePeriod }
    if !etcdArguments.isEmpty { config.etcdArguments = etcdArguments }
    if let pollInterval { config.pollInterval = pollInterval }
    if let consistencyCheckInterval { config.consistencyCheckInterval = consistencyCheckInterval }
    if !pilotArguments.isEmpty { config.pilotArguments = pilotArguments }
    config.startDelays = [:]
    for item in startDelays {
      let parts = item.split(separator: "=")
      guard parts.count == 2, let ordinal = Int(parts[0]), let seconds = Double(parts[1]), ordinal >= 0, seconds >= 0 else {
        throw LocalClusterError("--start-delay '\(item)' is not ORDINAL=SECONDS, e.g. 2=20")
      }
      config.startDelays[ordinal] = seconds
    }
    if let tlsValidity { _ = try DurationText.parse(tlsValidity, flag: "--tls-validity") }
    try LocalSecurity.configure(&config, layout: layout, tls: tls, auth: auth, validity: tlsValidity)
    if let manifest {
      try configureChart(manifest: manifest, config: &config, etcd: binary.path)
    }
    let count = replicas ?? LocalStatefulSetFile.read(layout.statefulSetFile).map { max($0.replicas, 1) } ?? chartReplicas ?? 3
    try layout.writeConfig(config)
    print("starting \(count) members in \(layout.directory) (etcd \(binary.version) at \(binary.path), pods on \(config.addressBase).\(config.firstHost)…)")

    if detach {
      let supervisor = try await ChildProcess.start(
        SelfExecutable.path, arguments: ["local", "supervise", "--dir", layout.directory, "--replicas", String(count)],
        logFile: layout.supervisorLog, newSession: true)
      supervisor.disown()
      try await LocalWait.untilConverged(layout, replicas: count, timeout: timeout)
      print("the cluster runs in the background (supervisor pid \(supervisor.pid)); stop it with `etcd-pilot local down --dir \(options.dir)`")
      return
    }
    let logger = PilotLogging.logger(for: "local")
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await LocalSupervisor.run(layout: layout, replicas: count, pilotBinary: SelfExecutable.path, logger: logger)
      }
      group.addTask {
        do {
          try await LocalWait.untilConverged(layout, replicas: count, timeout: timeout)
          print("the cluster is up; Ctrl-C stops it (data is kept)")
        } catch {
          Failure.printError("etcd-pilot local up: \(error)")
        }
      }
      try await group.waitForAll()
    }
  }
}

/// `etcd-pilot local supervise`: the supervisor itself (what `up --detach` leaves running).
struct LocalSuperviseCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "supervise", abstract: "Runs a local cluster's supervisor in the foreground.", shouldDisplay: false)

  @OptionGroup var options: LocalOptions
  @Option var replicas: Int

  func run() async throws {
    do {
      try await LocalSupervisor.run(
        layout: options.layout, replicas: replicas, pilotBinary: SelfExecutable.path,
        logger: PilotLogging.logger(for: "local"))
    } catch {
      throw Failure.exit("local supervise", error)
    }
  }
}
