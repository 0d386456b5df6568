import EtcdClient
import Foundation
import HTTPEndpoints
import Logging
import Membership
import PKI
import ServiceLifecycle
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
  /// Set when SIGTERM or SIGINT arrives: every wait of the pilot ends at once.
  let stop = StopLatch()
  var stopRequested: Bool { stop.isSet }
  var published: PilotStatus?
  var lastDecision: DecisionKey?
  var lastLoop = ContinuousClock.now
  /// The last consistency check this pilot made beside the leader, and when it is due again.
  var consistency: ConsistencyReading?
  /// The last reading of the members' space beside the leader (``readSpacePeriodically``).
  var space: SpaceReading?
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
          "issued this member's certificate from \(issuer.caDirectory)/ca.crt, valid until \(certificate.current.notValidAfter); renewal due \(certificate.renewalDue)"
        )
      }
    }
    var servers: [HTTPServer] = []
    for host in configuration.listenHosts {
      servers.append(
        try await HTTPServer.bind(host: host, port: configuration.pilotPort, tls: configuration.tls?.pilotServerFiles))
    }
    let clientConfiguration = EtcdClientConfiguration(
      endpoints: [try EtcdEndpoint(parsing: configuration.identity.clientURL)],
      tls: configuration.tls?.etcdClient,
      credentials: configuration.rootPassword.map { .init(user: "root", password: $0) },
      callTimeout: .seconds(5))
    logger.info(
      "pilot of \(configuration.name) (ordinal \(configuration.ordinal)) starting (\(BuildInfo.versionLine)): peer \(configuration.identity.peerURL), client \(configuration.identity.clientURL), volume \(configuration.volume)"
    )
    if let warning = configuration.etcdVersion.flatMap(EtcdBinary.knownDefect(version:)) {
      logger.warning("\(warning)")
    }
    return try await withEtcdClient(clientConfiguration, logger: logger) { client in
      let status = LockedState<Int32>(1)
      // Shut down in reverse order: SIGTERM reaches the decision loop first, which carries out
      // the stop this pod's rules ask for (leaving the cluster takes a while); the others end
      // once it is done — the HTTP servers last, so that peers and probes see the stop through.
      var services: [ServiceGroupConfiguration.ServiceConfiguration] = servers.map { server in
        .init(
          service: PilotChild("HTTP server on port \(server.port)") {
            try await cancelWhenGracefulShutdown { try await server.serve { request in await self.answer(request) } }
          })
      }
      services.append(
        .init(
          service: PilotChild("consistency check") {
            await cancelWhenGracefulShutdown { await self.checkConsistencyPeriodically(client) }
          },
          successTerminationBehavior: .ignore))
      services.append(
        .init(
          service: PilotChild("space reading") {
            await cancelWhenGracefulShutdown { await self.readSpacePeriodically(client) }
          },
          successTerminationBehavior: .ignore))
      if let tls = configuration.tls {
        let renewal = CertificateRenewal(tls: tls, certificate: certificate, logger: logger)
        services.append(
          .init(
            service: PilotChild("certificate renewal") {
              await cancelWhenGracefulShutdown { await renewal.run(client) }
            },
            successTerminationBehavior: .ignore))
      }
      services.append(
        .init(
          service: PilotChild("decision loop") {
            let code = await withGracefulShutdownHandler {
              await self.loop(client)
            } onGracefulShutdown: {
              self.requestStop()
            }
            status.withLock { $0 = code }
          },
          successTerminationBehavior: .gracefullyShutdownGroup))
      var quiet = logger
      quiet.logLevel = .warning
      let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
          services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
      try await group.run()
      return status.withLock { $0 }
    }
  }

  /// SIGTERM or SIGINT arrived (the service group's graceful shutdown): every wait ends at once
  /// and the next decision is the stop's.
  nonisolated func requestStop() {
    if !stop.isSet { logger.info("received SIGTERM or SIGINT: stopping as the rules for this pod say") }
    stop.set()
  }

  /// Observe, plan, act, until a stop completes or the engine fails.
  func loop(_ client: EtcdClient) async -> Int32 {
    while true {
      // Cancelled (another child failed): the error that cancelled the group is what is reported.
      if Task.isCancelled { return 1 }
      lastLoop = .now
      let (observation, context) = await observe(client)
      let plan = engine.plan(observation)
      // One line per decision: the same steps for the same kind of reason are the same
      // decision, however its counts (seconds waited, entries behind) moved.
      let key = DecisionKey(steps: plan.steps, kind: plan.reason.kind)
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

  private func carryOut(
    _ plan: Plan, observation: Observation, context: Context, client: EtcdClient
  ) async throws -> Outcome {
    var changed = false
    for step in plan.steps {
      // After a membership change only the lock's release may follow; then look again.
      if changed, step != .releaseLock { break }
      switch step {
      case .wait:
        await pause(
          client, quick: Self.isTransitional(observation),
          renewingThrough: try? leader(observation, context: context, client: client))
      case .backOff(let seconds):
        logger.info("restarting etcd after a crash in \(seconds) s")
        await stop.sleep(for: .milliseconds(Int64(seconds * 1000)))
        // A stop that arrived meanwhile is decided on at once.
        if stopRequested { return .next }
        engine.completed(step, .done)
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
    _ client: EtcdClient, quick: Bool = false, renewingThrough renewer: EtcdClient? = nil,
    atLeast minimum: Duration = .zero
  ) async {
    if await lock.isHeld { await lock.renew(using: renewer ?? client.using(endpoints: client.endpoints)) }
    let interval = max(
      quick ? min(configuration.pollInterval, .milliseconds(250)) : configuration.pollInterval, minimum)
    await stop.sleep(for: interval)
  }
}
