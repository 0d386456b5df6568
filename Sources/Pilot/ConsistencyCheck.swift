import EtcdClient
import Foundation
import Membership

/// Reads every started voter's HashKV at one revision — the lowest current revision among them,
/// which every one of them has applied — for the engine to compare (``ConsistencyReading``).
/// Each member hashes its own store, so the cost is spread: about a quarter of a second per
/// 50 MB of history on our machines, once per interval.
struct ConsistencyCheck {
  let client: EtcdClient
  /// Deadline of each HashKV: it scans the member's whole history.
  var hashTimeout: Duration = .seconds(60)

  /// `nil` when fewer than two voters answered.
  func read(_ cluster: ClusterView, now: Double) async -> ConsistencyReading? {
    var endpoints: [UInt64: EtcdEndpoint] = [:]
    var revisions: [Int64] = []
    for voter in cluster.voters where voter.isStarted && voter.isAlive {
      guard let url = voter.clientURLs.first, let endpoint = try? EtcdEndpoint(parsing: url),
        let status = try? await client.pinned(to: endpoint).withTimeout(.seconds(2)).status()
      else { continue }
      endpoints[voter.id] = endpoint
      revisions.append(status.header.revision)
    }
    guard endpoints.count >= 2, let revision = revisions.min() else { return nil }
    var hashes: [UInt64: ConsistencyReading.Hash] = [:]
    for (id, endpoint) in endpoints {
      guard let result = try? await client.pinned(to: endpoint).withTimeout(hashTimeout).hashKV(revision: revision)
      else { continue }
      hashes[id] = .init(hash: result.hash, compactRevision: result.compactRevision)
    }
    guard hashes.count >= 2 else { return nil }
    return ConsistencyReading(revision: revision, hashes: hashes, readAt: now)
  }
}
