import Foundation
import HTTPEndpoints
import Logging
import UnixSignals

/// Runs a local StatefulSet and its control API until `local down` (or SIGINT, SIGTERM or
/// SIGHUP — a foreground `up` whose terminal closed — which do the same: pods stop, data stays).
///
/// It holds the folder's ``SupervisorLock`` while it runs; its control API answers only requests
/// that carry its ``ControlToken``; its pods get SIGTERM should it die without stopping them.
public enum LocalSupervisor {
  /// Runs the cluster of `layout`; `lock` is the folder's lock when the caller took it already
  /// (a foreground `up`), otherwise it is taken here.
  public static func run(
    layout: LocalClusterLayout, replicas: Int, pilotBinary: String, lock: SupervisorLock? = nil, logger: Logger
  ) async throws {
    let lock = try lock ?? SupervisorLock.acquire(layout)
    var config = try layout.readConfig()
    let token = try ControlToken.create(layout)
    let control = try await HTTPServer.bind(host: "127.0.0.1", port: 0)
    config.supervisorPID = getpid()
    config.controlPort = control.port
    try layout.writeConfig(config)
    let chart = try config.manifest.map { try ChartSetup(layout: layout, config: config, manifestFile: $0) }
    let statefulSet = LocalStatefulSet(
      layout: layout, config: config, replicas: replicas, pilotBinary: pilotBinary,
      mode: chart.map { .chart($0.pods) } ?? .pilot, logger: logger)
    let proxies = config.proxies && chart == nil ? PeerProxies(config: config, logger: logger) : nil
    let api = LocalControlAPI(statefulSet: statefulSet, proxies: proxies, token: token)
    let kubernetes = try await chart?.serveAPI(statefulSet: statefulSet)
    logger.info(
      "local StatefulSet \(config.statefulSet) in \(layout.directory): \(replicas) replicas, control on 127.0.0.1:\(control.port)"
    )
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await control.serve { request in await api.answer(request) } }
      if let proxies { group.addTask { await proxies.run(statefulSet: statefulSet) } }
      if let kubernetes {
        group.addTask { try? await kubernetes.server.serve { request in await kubernetes.api.answer(request) } }
      }
      group.addTask {
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
          logger.info("\(signal) received: stopping the local cluster (data kept)")
          await statefulSet.down()
          return
        }
      }
      await statefulSet.run()
      group.cancelAll()
    }
    var final = (try? layout.readConfig()) ?? config
    final.supervisorPID = nil
    final.controlPort = nil
    try? layout.writeConfig(final)
    unlink(layout.controlTokenFile)
    logger.info("local cluster stopped; volumes kept in \(layout.directory)/volumes")
    withExtendedLifetime(lock) {}
  }
}

/// The supervisor's control API, used by the `local` commands.
struct LocalControlAPI: Sendable {
  let statefulSet: LocalStatefulSet
  let proxies: PeerProxies?
  let token: ControlToken

  struct Status: Codable, Sendable {
    var replicas: Int
    var pods: [LocalStatefulSet.PodSnapshot]
  }

  func answer(_ request: HTTPRequest) async -> HTTPResponse {
    guard token.authorizes(request.header("Authorization")) else {
      return .text(
        "the control token is missing or wrong: local commands send it from control.token in the cluster's folder, readable by its owner only",
        status: 401)
    }
    do {
      switch (request.method, request.path) {
      case ("GET", "/status"):
        let snapshot = await statefulSet.snapshot()
        return .json(Array(try JSONEncoder().encode(Status(replicas: snapshot.replicas, pods: snapshot.pods))))
      case ("POST", "/scale"):
        try await statefulSet.scale(to: try int(request, "replicas"))
      case ("POST", "/kill"):
        let signal: Int32 =
          switch request.query["signal"]?.uppercased() ?? "KILL" {
          case "KILL", "SIGKILL", "9": SIGKILL
          case "TERM", "SIGTERM", "15": SIGTERM
          case let other: throw LocalClusterError("signal '\(other)' is not KILL or TERM")
          }
        let hold = Double(request.query["hold"] ?? "0") ?? 0
        try await statefulSet.kill(try int(request, "ordinal"), signal: signal, hold: .milliseconds(Int64(hold * 1000)))
      case ("POST", "/wipe"):
        try await statefulSet.wipe(try int(request, "ordinal"))
      case ("POST", "/fault"):
        guard let proxies else {
          throw LocalClusterError(
            "this cluster runs without peer proxies: start it without --no-proxies to inject network faults")
        }
        try await statefulSet.checkPod(try int(request, "ordinal"))
        try proxies.set(
          mode: request.query["mode"] ?? "none", ordinal: try int(request, "ordinal"),
          delayMilliseconds: request.query["delay"].flatMap { Int($0) },
          probability: request.query["probability"].flatMap { Double($0) })
      case ("POST", "/down"):
        Task { await statefulSet.down() }
      default:
        return .text("unknown control request \(request.method) \(request.path)", status: 404)
      }
      return .text("ok")
    } catch {
      return .text("\(error)", status: 400)
    }
  }

  private func int(_ request: HTTPRequest, _ name: String) throws -> Int {
    guard let text = request.query[name], let value = Int(text) else {
      throw LocalClusterError("missing or non-numeric '\(name)'")
    }
    return value
  }
}
