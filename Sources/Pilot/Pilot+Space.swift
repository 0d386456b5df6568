import EtcdClient
import Foundation
import Membership

extension Pilot {
  /// Beside the leader, every 30 s (every 3 s while an alarm is raised): every voter's database
  /// size and the part in use (etcd's Status), and the cluster's alarms, kept for the engine
  /// (``MaintenanceDecision``). A child of the pilot, like the consistency check, so a slow
  /// member never holds up the decisions.
  func readSpacePeriodically(_ client: EtcdClient) async {
    var next = ContinuousClock.now
    while !Task.isCancelled {
      await stop.sleep(for: .seconds(1))
      guard !stopRequested, ContinuousClock.now >= next, let cluster = leadingView else { continue }
      let reading = await readSpace(cluster, client: client)
      space = reading
      next = ContinuousClock.now + .seconds(reading?.alarms.isEmpty == false ? 3 : 30)
    }
  }

  /// One reading: a member that does not answer is left out (the engine then waits for it).
  func readSpace(_ cluster: ClusterView, client: EtcdClient) async -> SpaceReading? {
    guard let alarms = try? await client.withTimeout(.seconds(5)).alarms() else { return nil }
    var members: [UInt64: SpaceReading.Member] = [:]
    var revision: Int64 = 0
    for voter in cluster.voters {
      guard let url = voter.clientURLs.first, let endpoint = try? EtcdEndpoint(parsing: url),
        let status = try? await client.pinned(to: endpoint).withTimeout(.seconds(5)).status()
      else { continue }
      members[voter.id] = .init(dbSize: status.dbSize, dbSizeInUse: status.dbSizeInUse)
      revision = max(revision, status.header.revision)
    }
    let kinds: [Alarm.Kind: SpaceReading.AlarmKind] = [.noSpace: .noSpace, .corrupt: .corrupt]
    return SpaceReading(
      members: members,
      alarms: alarms.compactMap { alarm in kinds[alarm.kind].map { .init(memberID: alarm.memberID, kind: $0) } },
      revision: revision, readAt: (ContinuousClock.now - started).seconds)
  }
}
