import ArgumentParser
import LocalCluster

/// `etcd-pilot local kill ORDINAL`: kill -9 a pod's container (default) or delete it gracefully.
struct LocalKillCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kill", abstract: "Kills a pod (KILL: pilot and etcd at once; TERM: a graceful stop); it restarts.")

  @OptionGroup var options: LocalOptions
  @Argument var ordinal: Int
  @Option(help: "KILL or TERM.") var signal = "KILL"
  @Option(help: "Keep the pod down this many seconds before it may restart (a node that is gone for a while).")
  var hold: Double = 0
  @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the cluster to heal.")
  var noWait = false

  func run() async throws {
    do {
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      let before = try await client.status().pods.first { $0.ordinal == ordinal }?.pid
      try await client.send(
        "POST", "/kill", query: ["ordinal": String(ordinal), "signal": signal, "hold": String(hold)])
      print("sent \(signal.uppercased()) to \(try options.layout.readConfig().podName(ordinal))")
      if !noWait {
        try await LocalWait.untilRestarted(
          options.layout, ordinal: ordinal, previousPID: before, timeout: try options.waitLimit())
      }
    } catch {
      throw Failure.exit("local kill", error)
    }
  }
}

/// `etcd-pilot local wipe ORDINAL`: a lost disk.
struct LocalWipeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wipe",
    abstract: "Deletes a pod and its volume (a lost disk); the pod comes back empty and is replaced.")

  @OptionGroup var options: LocalOptions
  @Argument var ordinal: Int
  @Flag(name: .customLong("no-wait")) var noWait = false

  func run() async throws {
    do {
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      let before = try await client.status().pods.first { $0.ordinal == ordinal }?.pid
      try await client.send("POST", "/wipe", query: ["ordinal": String(ordinal)])
      print("wiped \(try options.layout.readConfig().podName(ordinal)): pod killed, volume deleted")
      if !noWait {
        try await LocalWait.untilRestarted(
          options.layout, ordinal: ordinal, previousPID: before, timeout: try options.waitLimit())
      }
    } catch {
      throw Failure.exit("local wipe", error)
    }
  }
}

/// `etcd-pilot local partition ORDINAL`: cut a member off from its peers.
struct LocalPartitionCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "partition", abstract: "Blackholes a member's peer traffic, both ways (needs the peer proxies).")

  @OptionGroup var options: LocalOptions
  @Argument var ordinal: Int

  func run() async throws {
    do {
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      try await client.send("POST", "/fault", query: ["ordinal": String(ordinal), "mode": "blackhole"])
      print("partitioned \(try options.layout.readConfig().podName(ordinal)) from its peers")
    } catch {
      throw Failure.exit("local partition", error)
    }
  }
}

/// `etcd-pilot local heal ORDINAL`: end a partition (or any fault) and wait for health.
struct LocalHealCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "heal", abstract: "Ends a member's network fault and waits until the cluster is healthy.")

  @OptionGroup var options: LocalOptions
  @Argument var ordinal: Int
  @Flag(name: .customLong("no-wait")) var noWait = false

  func run() async throws {
    do {
      let client = try LocalControlClient.orOrphans(options.layout, dir: options.dir)
      try await client.send("POST", "/fault", query: ["ordinal": String(ordinal), "mode": "none"])
      print("healed \(try options.layout.readConfig().podName(ordinal))")
      if !noWait {
        try await LocalWait.untilConverged(
          options.layout, replicas: try await client.status().replicas, timeout: try options.waitLimit())
      }
    } catch {
      throw Failure.exit("local heal", error)
    }
  }
}
