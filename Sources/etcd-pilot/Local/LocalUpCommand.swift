import ArgumentParser
#if canImport(Glibc)
// C's `stdout`, made line-buffered once before anything prints (before Foundation, which
// brings Glibc in without the annotation).
@preconcurrency import Glibc
#endif
import ChildProcess
import Foundation
import LocalCluster
import LocalPlatform
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

  @Option(help: "The etcd binary (3.4 or newer); default: the one the cluster was made with, or etcd on PATH.")
  var etcd: String?

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

  @Option(
    name: .customLong("poll-interval"), parsing: .unconditional,
    help: "The pilots' poll interval while nothing changes.")
  var pollInterval: String?

  @Option(
    name: .customLong("consistency-check-interval"),
    help: "How often the pilot beside the leader compares the members' data (HashKV), e.g. 15s; off: never.")
  var consistencyCheckInterval: String?

  @Option(
    help:
      "Run a rendered chart's StatefulSet (`helm template` output) instead of the pilot's own command line; needs root."
  )
  var manifest: String?

  @Option(
    name: .customLong("image-file"),
    help: "With --manifest: IMAGEPATH=LOCALPATH for a file of the image (etcd-pilot and etcd are mapped by default).")
  var imageFiles: [String] = []

  @Flag(
    help:
      "Client and peer TLS with client certificates: a CA in <dir>/tls issues each member's certificate; etcd trusts clients of another CA, in <dir>/tls-clients (given to no pod); local tools use <dir>/tls/client.crt."
  )
  var tls = false

  @Option(
    name: .customLong("tls-validity"), parsing: .unconditional,
    help: "With --tls: the lifetime of the members' certificates, e.g. 90d (renewed at two thirds).")
  var tlsValidity: String?

  @Flag(help: "With --tls: turn on etcd auth with a generated root password in <dir>/auth/root-password.")
  var auth = false

  @Option(
    help: "etcd's backend quota for every member, in bytes or as a quantity (256Mi, 2Gi); default: etcd's (2 GiB).")
  var quota: String?

  @Option(
    help:
      "etcd's history compaction: periodic:DURATION (keep that much history), revision:COUNT, or off; default periodic:1h."
  )
  var compaction: String?

  @Flag(
    name: .customLong("no-corruption-checks"),
    help: "Turn off etcd's data-corruption checks (at start; after each compaction on 3.5.5+), on by default.")
  var noCorruptionChecks = false

  @Flag(
    name: .customLong("clock-skew"),
    help: "Let `verify` (or you, through the files in DIR/clock/) skew pods' wall clocks; needs libfaketime.")
  var clockSkew = false

  @Option(
    name: .customLong("pilot-arg"),
    help: ArgumentHelp(
      "A flag for every pod's `etcd-pilot member` (repeat for more), e.g. --pilot-arg=--no-leader-handoff.",
      visibility: .hidden))
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
    // The chart names its ports as etcd's DNS discovery looks them up (with -ssl under TLS).
    func port(_ names: [String]) -> Int? {
      chart.container.ports?.first { names.contains($0.name ?? "") }?.containerPort
    }
    config.clientPort = port(["etcd-client", "etcd-client-ssl", "client"]) ?? config.clientPort
    config.peerPort = port(["etcd-server", "etcd-server-ssl", "peer"]) ?? config.peerPort
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
    // Progress as it goes when stdout is a file or a pipe, not all of it at exit.
    setlinebuf(stdout)
    let layout = options.layout
    let timeout = try options.waitLimit()
    if let replicas, replicas < 1 {
      throw LocalClusterError(
        "--replicas \(replicas) is not a cluster size: give 1 or more (scale to 0 with `local scale`)")
    }
    if let refusal = EtcdFlagPolicy.refusal(etcdArguments, managedTLS: tls) { throw LocalClusterError(refusal) }
    if let addressBase {
      let octets = addressBase.split(separator: ".", omittingEmptySubsequences: false)
      guard octets.count == 3, octets.first == "127", octets.allSatisfy({ UInt8($0) != nil }) else {
        throw LocalClusterError("--address-base '\(addressBase)' is not three octets in 127/8, e.g. 127.0.10")
      }
    }
    if let tlsValidity { _ = try DurationText.parse(tlsValidity, flag: "--tls-validity") }
    if let quota, ByteQuantity.parse(quota).map({ $0 <= 0 }) ?? true {
      throw LocalClusterError("--quota '\(quota)' is not a size: give bytes or a quantity such as 256Mi or 2Gi")
    }
    if let compaction { _ = try LocalClusterConfig.compaction(parsing: compaction) }
    if clockSkew { _ = try ClockSkew.library() }
    // Nothing is created or started before every check has passed. A supervisor that runs is
    // said first: the folder it writes in may hold its temporary files at any moment.
    if SupervisorLock.isHeld(layout) { _ = try SupervisorLock.acquire(layout) }
    do {
      try LocalClusterFolder.checkUsable(layout)
    } catch {
      if SupervisorLock.isHeld(layout) { _ = try SupervisorLock.acquire(layout) }
      throw error
    }
    let existing = FileManager.default.fileExists(atPath: layout.configFile) ? try layout.readConfig() : nil
    let binary = try RememberedSettings.etcd(given: etcd, existing: existing, layout: layout)
    var config = existing ?? LocalClusterConfig(etcd: binary.path)
    try RememberedSettings.check(addressBase: addressBase, existing: existing, layout: layout)
    config.etcd = binary.path
    config.etcdVersion = binary.version
    if let addressBase { config.addressBase = addressBase }
    if noProxies { config.proxies = false }
    if let gracePeriod { config.gracePeriodSeconds = gracePeriod }
    if !etcdArguments.isEmpty { config.etcdArguments = etcdArguments }
    if let pollInterval { config.pollInterval = pollInterval }
    if let consistencyCheckInterval { config.consistencyCheckInterval = consistencyCheckInterval }
    if !pilotArguments.isEmpty { config.pilotArguments = pilotArguments }
    if let quota { config.quota = quota }
    if let compaction { config.compaction = compaction }
    if noCorruptionChecks { config.corruptionChecks = false }
    if clockSkew { config.clockSkew = true }
    if config.quota != nil, SpaceSettings.flagNames(in: config.etcdArguments).contains("quota-backend-bytes") {
      throw LocalClusterError(
        "the quota is given twice: --quota \(config.quota ?? "") and --quota-backend-bytes in the etcd flags after --; keep one"
      )
    }
    config.startDelays = [:]
    for item in startDelays {
      let parts = item.split(separator: "=")
      guard parts.count == 2, let ordinal = Int(parts[0]), let seconds = Double(parts[1]), ordinal >= 0, seconds >= 0
      else {
        throw LocalClusterError("--start-delay '\(item)' is not ORDINAL=SECONDS, e.g. 2=20")
      }
      config.startDelays[ordinal] = seconds
    }
    let count =
      replicas ?? LocalStatefulSetFile.read(layout.statefulSetFile).map { max($0.replicas, 1) } ?? chartReplicas ?? 3
    guard count <= config.maximumReplicas else {
      throw LocalClusterError(
        "--replicas \(count) is more than the \(config.maximumReplicas) pod addresses of \(config.addressBase).\(config.firstHost)-254: give at most \(config.maximumReplicas)"
      )
    }
    // Pods of an earlier run whose supervisor died, and foreign programs on the pods' ports.
    // Either may be a supervisor that another `up` started meanwhile: then that is said.
    do {
      let orphans = ClusterProcesses.orphans(layout)
      guard orphans.isEmpty else {
        throw LocalClusterError(
          "processes of this cluster's pods from an earlier run still run (pids \(ClusterProcesses.describe(orphans))): stop them with `etcd-pilot local down --dir \(options.dir)`"
        )
      }
      if manifest == nil { try PodPorts.checkFree(config, replicas: count) }
    } catch {
      if SupervisorLock.isHeld(layout) { _ = try SupervisorLock.acquire(layout) }
      throw error
    }

    try LocalClusterFolder.claim(layout)
    var lock: SupervisorLock? = try SupervisorLock.acquire(layout)
    try LocalSecurity.configure(&config, layout: layout, tls: tls, auth: auth, validity: tlsValidity)
    if let manifest {
      try configureChart(manifest: manifest, config: &config, etcd: binary.path)
      try PodPorts.checkFree(config, replicas: count)
    }
    try layout.writeConfig(config)
    print(
      "starting \(count) members in \(layout.directory) (etcd \(binary.version) at \(binary.path), pods on \(config.addressBase).\(config.firstHost)…)"
    )

    if detach {
      // The lock goes to the supervisor on its stdin: held all along, from this `up`'s checks
      // to the supervisor's end, so a second `up` always finds it taken.
      let supervisor = try await ChildProcess.start(
        SelfExecutable.path,
        arguments: ["local", "supervise", "--dir", layout.directory, "--replicas", String(count), "--lock-on-stdin"],
        logFile: layout.supervisorLog, newSession: true, standardInput: lock?.fileDescriptor)
      supervisor.disown()
      lock = nil
      do {
        try await DetachedSupervisor.waitUntilRunning(supervisor, layout: layout)
        try await LocalWait.untilConverged(layout, replicas: count, timeout: timeout)
      } catch {
        // A failed `up` leaves nothing running: the supervisor it started stops its pods.
        if supervisor.isRunning {
          print("stopping the supervisor this `up` started (pid \(supervisor.pid)); data is kept")
          await supervisor.stop(signal: SIGTERM, grace: .seconds(config.gracePeriodSeconds + 10))
        }
        throw error
      }
      print(
        "the cluster runs in the background (supervisor pid \(supervisor.pid)); stop it with `etcd-pilot local down --dir \(options.dir)`"
      )
      return
    }
    let logger = PilotLogging.logger(for: "local")
    let held = lock
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await LocalSupervisor.run(
          layout: layout, replicas: count, pilotBinary: SelfExecutable.path, lock: held, logger: logger)
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

/// How a cluster was made, kept in `local.json`: a later `up` uses it when a flag is omitted
/// and refuses a different one, since the members' data depends on it.
enum RememberedSettings {
  /// The etcd to run: `--etcd`, else the one the cluster was made with, else `etcd` on PATH.
  /// Once the cluster has data, an etcd of another minor version is refused (its data format
  /// may differ; etcd refuses a downgrade and crash-loops).
  static func etcd(
    given: String?, existing: LocalClusterConfig?, layout: LocalClusterLayout
  ) throws -> (path: String, version: String) {
    guard let existing, layout.hasMemberData else { return try EtcdBinary.check(given ?? existing?.etcd ?? "etcd") }
    let remembered = existing.etcdVersion ?? (try? EtcdBinary.check(existing.etcd))?.version
    let checked = Result { () throws(PilotError) in try EtcdBinary.check(given ?? existing.etcd) }
    if given == nil, case .failure(let error) = checked {
      throw LocalClusterError(
        "the cluster in \(layout.directory) was made with etcd \(remembered ?? "") at \(existing.etcd), which cannot be run now (\(error)): give --etcd with an etcd \(remembered ?? "") binary"
      )
    }
    let binary = try checked.get()
    if let remembered, minor(binary.version) != minor(remembered) {
      throw LocalClusterError(
        "the cluster in \(layout.directory) was made with etcd \(remembered) (\(existing.etcd)) and --etcd \(binary.path) is etcd \(binary.version): omit --etcd to run the one it was made with, or use a new --dir"
      )
    }
    return binary
  }

  /// `--address-base` may change only before the cluster has data: its members' peer URLs name
  /// their addresses.
  static func check(addressBase: String?, existing: LocalClusterConfig?, layout: LocalClusterLayout) throws {
    guard let addressBase, let existing, addressBase != existing.addressBase, layout.hasMemberData else { return }
    throw LocalClusterError(
      "the cluster in \(layout.directory) was made on \(existing.addressBase).*, and its members' URLs name those addresses: omit --address-base, or use a new --dir for \(addressBase).*"
    )
  }

  /// `3.5` of `3.5.1`.
  static func minor(_ version: String) -> Substring {
    let parts = version.split(separator: ".")
    return parts.count >= 2 ? version[parts[0].startIndex..<parts[1].endIndex] : Substring(version)
  }
}

/// A supervisor `up --detach` started, until it holds the folder.
enum DetachedSupervisor {
  /// Waits until `supervisor` holds the folder's lock and has registered in `local.json`, or
  /// throws with the last line it logged when it stopped first (another `up` won the folder).
  static func waitUntilRunning(_ supervisor: ChildProcess, layout: LocalClusterLayout) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
      if (try? layout.readConfig())?.supervisorPID == supervisor.pid, SupervisorLock.isHeld(layout) { return }
      guard supervisor.isRunning else {
        let log = String(decoding: FileManager.default.contents(atPath: layout.supervisorLog) ?? Data(), as: UTF8.self)
        let last = log.split(separator: "\n").last.map(String.init) ?? "no output"
        throw LocalClusterError(
          "the supervisor did not start: \(last.replacingOccurrences(of: "etcd-pilot local supervise: error: ", with: ""))"
        )
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw LocalClusterError(
      "the supervisor (pid \(supervisor.pid)) did not take the folder within 30 s: see \(layout.supervisorLog)")
  }
}

/// `etcd-pilot local supervise`: the supervisor itself (what `up --detach` leaves running).
struct LocalSuperviseCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "supervise", abstract: "Runs a local cluster's supervisor in the foreground.", shouldDisplay: false)

  @OptionGroup var options: LocalOptions
  @Option var replicas: Int
  @Flag(name: .customLong("lock-on-stdin"), help: "The folder's lock is held on stdin (`up --detach` hands it over).")
  var lockOnStandardInput = false

  func run() async throws {
    do {
      let lock = lockOnStandardInput ? try SupervisorLock.inherited(STDIN_FILENO, layout: options.layout) : nil
      try await LocalSupervisor.run(
        layout: options.layout, replicas: replicas, pilotBinary: SelfExecutable.path, lock: lock,
        logger: PilotLogging.logger(for: "local"))
    } catch {
      throw Failure.exit("local supervise", error)
    }
  }
}
