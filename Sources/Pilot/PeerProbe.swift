import AsyncHTTPClient
import Foundation
import HTTPEndpoints
import Membership
import NIOCore
import NIOHTTP1

/// Asks other pilots for their `/status` (only while this pod has no data: the bootstrap needs
/// to know who is fresh and who holds a marker).
struct PeerProbe: Sendable {
  let timeout: Duration
  /// With TLS: the CA that checks each peer's certificate and the certificate this pilot
  /// presents; an answer from a pod without a certificate of the CA does not count.
  var tls: HTTPSClientFiles?

  func reports(of pods: [PodAddress], namespace: String, statefulSet: String) async -> [PeerReport] {
    await withTaskGroup(of: PeerReport?.self) { group in
      for pod in pods {
        group.addTask { await report(of: pod) }
      }
      var reports: [PeerReport] = []
      for await report in group {
        // Answers from pods of another StatefulSet (a stale or wrong DNS entry) do not count.
        if let report, report.namespace == namespace, report.statefulSet == statefulSet { reports.append(report) }
      }
      return reports.sorted { $0.ordinal < $1.ordinal }
    }
  }

  /// The `/status` of each pod that answers, by pod name.
  func statuses(of pods: [PodAddress]) async -> [String: PilotStatus] {
    await withTaskGroup(of: PilotStatus?.self) { group in
      for pod in pods { group.addTask { await status(of: pod) } }
      var statuses: [String: PilotStatus] = [:]
      for await status in group { if let status { statuses[status.pod] = status } }
      return statuses
    }
  }

  private func report(of pod: PodAddress) async -> PeerReport? {
    await status(of: pod)?.peerReport
  }

  private func status(of pod: PodAddress) async -> PilotStatus? {
    do {
      var request = HTTPClientRequest(url: pod.pilotURL + "/status")
      request.tlsConfiguration = try tls?.configuration()
      let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout.seconds * 1000)))
      guard response.status == .ok else { return nil }
      let body = try await response.body.collect(upTo: 1 << 20)
      let status = try JSONDecoder().decode(PilotStatus.self, from: Data(body.readableBytesView))
      guard status.pod == pod.name else { return nil }
      return status
    } catch {
      return nil
    }
  }
}
