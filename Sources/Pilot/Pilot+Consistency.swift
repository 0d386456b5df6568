import EtcdClient
import Foundation
import Logging
import Membership

extension Pilot {
  /// Written when the voters' hashes differ, so that the next reading is at another revision.
  static let consistencyProbeKey = "/etcd-pilot/consistency/probe"

  /// Beside the leader, every `consistencyCheckInterval`: every voter's HashKV at one revision,
  /// kept for the engine until the next reading. A child task of the pilot, so that a long
  /// HashKV of a large database never holds up the decisions (or a stop).
  func checkConsistencyPeriodically(_ client: EtcdClient) async {
    guard let interval = configuration.consistencyCheckInterval else { return }
    while !Task.isCancelled {
      try? await Task.sleep(for: .seconds(1))
      let now = Date().timeIntervalSince1970
      guard !stopRequested, now >= nextConsistencyCheck, let cluster = leadingView else { continue }
      nextConsistencyCheck = now + interval.seconds
      guard let reading = await ConsistencyCheck(client: client).read(cluster, now: now) else { continue }
      record(reading, of: cluster)
      // A voter is replaced only when a second reading, at another revision, agrees: read again
      // soon rather than a whole interval later, and move the revision on (an idle cluster's
      // does not) with a write of the pilot's own key.
      if Set(reading.hashes.values.map(\.hash)).count > 1 {
        nextConsistencyCheck = min(nextConsistencyCheck, now + 5)
        _ = try? await client.withTimeout(.seconds(5)).put(Self.consistencyProbeKey, String(Int(now)))
      }
    }
  }

  /// Keeps a reading, saying once when the voters' data differ and once when they agree again.
  private func record(_ reading: ConsistencyReading, of cluster: ClusterView) {
    if Set(reading.hashes.values.map(\.hash)).count > 1 {
      let each = reading.hashes.sorted { $0.key < $1.key }.map { id, hash in
        "\(cluster.member(id)?.label ?? id.etcdHex)=\(String(hash.hash, radix: 16))"
      }
      logger.warning(
        "consistency check: the voters' data differ at revision \(reading.revision): \(each.joined(separator: ", "))")
    } else if consistency.map({ Set($0.hashes.values.map(\.hash)).count > 1 }) ?? true {
      logger.info("consistency check: \(reading.hashes.count) voters agree on HashKV at revision \(reading.revision)")
    }
    consistency = reading
  }
}
