import EtcdClient
import Foundation
import HTTPEndpoints
import Logging
import Membership
import PKI
import UnixSignals

/// The agent of one etcd member: observes, asks the engine for a plan, carries it out, and
/// serves `/healthz`, `/readyz` and `/status`. Runs until the pod stops (SIGTERM or SIGINT) or
/// the engine says it cannot go on.
public actor Pilot {
  let configuration: PilotConfiguration
  let replicas: any ReplicaSource
  let records: any ClusterRecordStore
  let events: any EventRecorder
  let logger: Logger
  let volume: VolumeStore
  let etcd: EtcdSupervisor
  let lock: MembershipLock
  let progress: ProgressTracker
  /// The decision engine and its memory.
  var engine = MemberEngine()
  /// When this pilot started: observations measure durations from it, on a monotonic clock.
  let started = ContinuousClock.now
  var stopRequested = false
  var published: PilotStatus?
  var lastDecision = ""
  var lastLoop = ContinuousClock.now
  var crashRestarts = 0
  /// Observations in a row in which this pod's etcd refused fresh auth tokens.
  var tokenRefusals = 0
  /// With auth, whether this pilot already restarted its caught-up learner before promotion.
  var learnerRestartedForAuth = false
  /// The last consistency check this pilot made beside the leader, and when it is due again.
  var consistency: ConsistencyReading?
  var nextConsistencyCheck: Double = 0
  /// The cluster as the last observation saw it, while this pod's etcd led it: what the
  /// consistency check compares.
  var leadingView: ClusterView?
  /// For logging each holder of the lock and each failure once, not on every retry.
  var lastLockHolder: String?
  var lastFailure = ""

  public init(
    configuration: PilotConfiguration, replicas: any ReplicaSource, records: any ClusterRecordStore,
    events: any EventRecorder = NoEvents(), logger: Logger
  ) {
    self.configuration = configuration
    self.replicas = replicas
    self.records = records
    self.events = events
    self.logger = logger
    volume = VolumeStore(root: configuration.volume)
    etcd = EtcdSupervisor(configuration: configuration, volume: VolumeStore(root: configuration.volume), logger: logger)
    lock = MembershipLock(owner: configuration.name, logger: logger)
    progress = ProgressTracker(catchUpLag: configuration.engineSettings.promotableLag)
  }

  /// Runs the pilot; returns the process exit status.
  public func run() async throws -> Int32 {
    try volume.ensureExists()
    var certificate: MemberCertificate?
    if let tls = configuration.tls, let issuer = tls.issuer {
      certificate = try MemberCertificate.issue(for: configuration, tls: tls, issuer: issuer)
      if let certificate {
        logger.info(
          "issued this member's certificate from \(issuer.caDirectory)/ca.crt, valid until \(certificate.current.notValidAfter); renewal due \(certificate.renewalDue)")
      }
    }
    var servers: [HTTPServer] = []
    for host in configuration.listenHosts {
      servers.append(try await HTTPServer.bind(host: host, port: configuration.pilotPort, tls: configuration.tls?.pilotServerFiles))
    }
    let clientConfiguration = EtcdClientConfiguration(
      endpoints: [try EtcdEndpoint(parsing: configuration.identity.clientURL)],
      tls: configuration.tls?.etcdClient,
      credentials: configuration.rootPassword.map { .init(user: "root", password: $0) },
      callTimeout: .seconds(5))
    logger.info(
      "pilot of \(configuration.name) (ordinal \(configuration.ordinal)) starting (\(BuildInfo.versionLine)): peer \(configuration.identity.peerURL), client \(configuration.identity.clientURL), volume \(configuration.volume)"
    )
    if let warning = configuration.etcdVersion.flatMap(EtcdBinary.knownDefect(version:)) { logger.warning("\(warning)") }
    return try await withEtcdClient(clientConfiguration, logger: logger) { client in
      await withThrowingTaskGroup(of: Void.self) { group in
        for server in servers { group.addTask { try await server.serve { request in await self.answer(request) } } }
        group.addTask {
          for await signal in await SignalStream.make() { await self.requestStop(signal == .sigint ? SIGINT : SIGTERM) }
        }
        group.addTask { await self.checkConsistencyPeriodically(client) }
        if let tls = self.configuration.tls {
          let renewal = CertificateRenewal(tls: tls, certificate: certificate, logger: self.logger)
          group.addTask { await renewal.run(client) }
        }
        let status = await self.loop(client)
        group.cancelAll()
        return status
      }
    }
  }

  func requestStop(_ signal: Int32) {
    if !stopRequested {
      logger.info("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"): stopping as the rules for this pod say")
    }
    stopRequested = true
  }

  /// Observe, plan, act, until a stop completes or the engine fails.
  func loop(_ client: EtcdClient) async -> Int32 {
    while true {
      lastLoop = .now
      let (observation, context) = await observe(client)
      let plan = engine.plan(observation)
      // One line per decision: a wait whose reason only counts up is the same decision.
      let key = plan.description.filter { !$0.isNumber }
      if key != lastDecision {
        logger.info("decision: \(plan)")
        lastDecision = key
      }
      publish(observation, plan: plan, context: context)
      if observation.stopping, plan.steps.isEmpty {
        await lock.release(using: client)
        logger.info("pilot stopped: \(plan.reason)")
        return 0
      }
      do {
        if try await carryOut(plan, observation: observation, context: context, client: client) == .stop {
          return 1
        }
      } catch {
        let text = "\(error)"
        let delay = engine.retryDelay
        if text != lastFailure { logger.warning("step failed: \(text); looking again in \(delay) s") }
        lastFailure = text
        await pause(client, quick: true, atLeast: .milliseconds(Int64(delay * 1000)))
      }
    }
  }

  private enum Outcome { case next, stop }

  private func carryOut(_ plan: Plan, observation: Observation, context: Context, client: EtcdClient) async throws -> Outcome {
    if case .exited(let exit) = observation.etcd, plan.steps.contains(where: { if case .startEtcd = $0 { true } else { false } }) {
      if case .crashed = exit {
        crashRestarts += 1
        let backoff = Duration.seconds(min(1 << min(crashRestarts - 1, 5), 30))
        logger.info("restarting etcd after a crash in \(backoff)")
        try await Task.sleep(for: backoff)
      }
      await etcd.acknowledgeExit()
    }
    var changed = false
    for step in plan.steps {
      // After a membership change only the lock's release may follow; then look again.
      if changed, step != .releaseLock { break }
      switch step {
      case .wait:
        await pause(
          client, quick: Self.isTransitional(observation),
          renewingThrough: try? leader(observation, context: context, client: client))
      case .fail(let message):
        logger.error("cannot go on: \(message)")
        return .stop
      default:
        do {
          engine.completed(step, try await run(step, observation: observation, context: context, client: client))
        } catch {
          engine.completed(step, .failed("\(error)"))
          throw error
        }
        changed = changed || step.changesMembership
      }
    }
    return .next
  }

  /// Bytes in etcd's snapshot directory (where a joining learner's snapshot arrives).
  func etcdDataBytes() -> Int64? {
    let path = "\(volume.etcdDataDirectory)/member/snap"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return VolumeStore.bytes(under: path)
  }

  /// While a pod bootstraps or joins, it looks again sooner: others wait on what it does.
  static func isTransitional(_ o: Observation) -> Bool {
    switch o.etcd {
    case .running(let serving, let id?, _):
      return !serving || o.cluster?.member(id)?.isLearner == true || !o.volume.notes.formed
    default:
      return true
    }
  }

  /// Waits one poll interval (a short one with `quick`), renewing the lock if held — through
  /// the leader when known: this pod's own etcd may not serve yet — and returns early when a
  /// stop arrives.
  func pause(
    _ client: EtcdClient, quick: Bool = false, renewingThrough renewer: EtcdClient? = nil, atLeast minimum: Duration = .zero
  ) async {
    if await lock.isHeld { await lock.renew(using: renewer ?? client.using(endpoints: client.endpoints)) }
    let interval = max(quick ? min(configuration.pollInterval, .milliseconds(250)) : configuration.pollInterval, minimum)
    let deadline = ContinuousClock.now + interval
    while ContinuousClock.now < deadline, !stopRequested {
      try? await Task.sleep(for: .milliseconds(100))
    }
  }
}
