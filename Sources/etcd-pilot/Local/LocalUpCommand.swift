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

  private func up() async throws {
    let layout = options.layout
    let timeout = try options.waitLimit()
    if let replicas, replicas < 1 {
      throw LocalClusterError("--replicas \(replicas) is not a cluster size: give 1 or more (scale to 0 with `local scale`)")
    }
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
    config.startDelays = [:]
    for item in startDelays {
      let parts = item.split(separator: "=")
      guard parts.count == 2, let ordinal = Int(parts[0]), let seconds = Double(parts[1]), ordinal >= 0, seconds >= 0 else {
        throw LocalClusterError("--start-delay '\(item)' is not ORDINAL=SECONDS, e.g. 2=20")
      }
      config.startDelays[ordinal] = seconds
    }
    let count = replicas ?? LocalStatefulSetFile.read(layout.statefulSetFile).map { max($0.replicas, 1) } ?? 3
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
