import Foundation
import HTTPEndpoints

extension Pilot {
  /// `/healthz`: the pilot's loop is alive. `/readyz`: etcd serves and this member is a started
  /// voter. `/status`: what the pilot saw and decided, as JSON.
  func answer(_ request: HTTPRequest) -> HTTPResponse {
    switch request.path {
    case "/healthz", "/livez":
      let idle = ContinuousClock.now - lastLoop
      if idle > .seconds(60) { return .text("pilot loop stalled for \(Int(idle.seconds))s", status: 500) }
      return .text("ok")
    case "/readyz":
      guard let status = published else { return .text("starting", status: 503) }
      if status.ready { return .text("ok: \(status.role)") }
      return .text("not ready: etcd \(status.etcd), role \(status.role); \(status.reason)", status: 503)
    case "/status":
      if configuration.tls != nil, !request.hasVerifiedClientCertificate {
        return .text(
          "/status needs a client certificate from the cluster's CA (pilots present their member certificates); /healthz and /readyz need none",
          status: 403)
      }
      guard let status = published else { return .text("starting", status: 503) }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      let body = (try? encoder.encode(status)) ?? Data("{}".utf8)
      return .json(Array(body))
    default:
      return .text("not found: try /healthz, /readyz or /status", status: 404)
    }
  }
}
