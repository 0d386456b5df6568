import AsyncHTTPClient
import Foundation
import Membership
import NIOCore
import NIOHTTP1

/// Asks other pilots for their `/status` (only while this pod has no data: the bootstrap needs
/// to know who is fresh and who holds a marker).
struct PeerProbe: Sendable {
  let timeout: Duration

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

  private func report(of pod: PodAddress) async -> PeerReport? {
    do {
      let request = HTTPClientRequest(url: pod.pilotURL + "/status")
      let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout.seconds * 1000)))
      guard response.status == .ok else { return nil }
      let body = try await response.body.collect(upTo: 1 << 20)
      let status = try JSONDecoder().decode(PilotStatus.self, from: Data(body.readableBytesView))
      guard status.pod == pod.name else { return nil }
      return status.peerReport
    } catch {
      return nil
    }
  }
}
