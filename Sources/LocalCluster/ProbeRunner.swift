import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A pod's probe state, as a kubelet keeps it.
struct ProbeState: Sendable {
  var started = false
  var ready = false
  var startupFailures = 0
  var livenessFailures = 0
  var readinessFailures = 0
  var last: [String: ContinuousClock.Instant] = [:]
}

/// Runs a container's HTTP probes on their schedules.
enum ProbeRunner {
  enum Outcome { case fine, restart(String) }

  static func run(
    _ container: ChartManifest.Container, address: String, state: inout ProbeState, now: ContinuousClock.Instant,
    startedAt: ContinuousClock.Instant
  ) async -> Outcome {
    if !state.started {
      guard let startup = container.startupProbe else {
        state.started = true
        return await run(container, address: address, state: &state, now: now, startedAt: startedAt)
      }
      guard due(startup, "startup", state: &state, now: now, startedAt: startedAt) else { return .fine }
      if await check(startup, container, address) {
        state.started = true
        state.startupFailures = 0
      } else {
        state.startupFailures += 1
        if state.startupFailures >= (startup.failureThreshold ?? 3) { return .restart("failed its startup probe") }
      }
      return .fine
    }
    if let readiness = container.readinessProbe,
      due(readiness, "readiness", state: &state, now: now, startedAt: startedAt)
    {
      if await check(readiness, container, address) {
        state.ready = true
        state.readinessFailures = 0
      } else {
        state.readinessFailures += 1
        if state.readinessFailures >= (readiness.failureThreshold ?? 3) { state.ready = false }
      }
    } else if container.readinessProbe == nil {
      state.ready = true
    }
    if let liveness = container.livenessProbe, due(liveness, "liveness", state: &state, now: now, startedAt: startedAt)
    {
      if await check(liveness, container, address) {
        state.livenessFailures = 0
      } else {
        state.livenessFailures += 1
        if state.livenessFailures >= (liveness.failureThreshold ?? 3) { return .restart("failed its liveness probe") }
      }
    }
    return .fine
  }

  private static func due(
    _ probe: ChartManifest.Probe, _ name: String, state: inout ProbeState, now: ContinuousClock.Instant,
    startedAt: ContinuousClock.Instant
  ) -> Bool {
    guard now - startedAt >= .seconds(probe.initialDelaySeconds ?? 0) else { return false }
    if let last = state.last[name], now - last < .seconds(probe.periodSeconds ?? 10) { return false }
    state.last[name] = now
    return true
  }

  private static func check(
    _ probe: ChartManifest.Probe, _ container: ChartManifest.Container, _ address: String
  ) async -> Bool {
    guard let get = probe.httpGet, let port = container.port(get.port) else { return true }
    guard
      let status = await self.get(get.url(address: address, port: port), timeout: .seconds(probe.timeoutSeconds ?? 1))
    else {
      return false
    }
    return (200..<400).contains(status)
  }

  /// An HTTP GET's status code, or nil when nothing answered in time. HTTPS as a kubelet's
  /// probe speaks it: the server's certificate unchecked, no client certificate.
  static func get(_ url: String, timeout: Duration) async -> Int? {
    let milliseconds = Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    var request = HTTPClientRequest(url: url)
    if url.hasPrefix("https://") {
      var tls = TLSConfiguration.makeClientConfiguration()
      tls.certificateVerification = .none
      request.tlsConfiguration = tls
    }
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .milliseconds(milliseconds))
    else { return nil }
    _ = try? await response.body.collect(upTo: 1 << 20)
    return Int(response.status.code)
  }
}
