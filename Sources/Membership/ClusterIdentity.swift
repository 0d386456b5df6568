/// Whether the cluster that answered is this StatefulSet's own: a pilot never joins, removes
/// from, or decides by a cluster that is not.
///
/// The clusters it knows as its own: the one its record names, the one its volume's notes and
/// its data's WAL name, and the one peer pilots of this StatefulSet report as formed. With none
/// of these (before the first formation), only the bootstrap it takes part in: a cluster whose
/// members are exactly a bootstrap marker's that this pod or a peer holds. Anything else — a
/// plain etcd listening on a pod's address, an earlier cluster's leftover — is foreign.
enum ClusterIdentity {
  /// Cluster IDs this pod knows to be its own.
  static func known(_ o: Observation) -> Set<UInt64> {
    var ids: Set<UInt64> = []
    if case .present(let record) = o.record, let id = UInt64(record.clusterID, radix: 16) { ids.insert(id) }
    if let noted = o.volume.notes.clusterID, let id = UInt64(noted, radix: 16) { ids.insert(id) }
    if let data = o.volume.dataIdentity { ids.insert(data.clusterID) }
    for peer in o.peers where peer.formed {
      if let reported = peer.clusterID, let id = UInt64(reported, radix: 16) { ids.insert(id) }
    }
    return ids
  }

  static func isOurs(_ cluster: ClusterView, _ o: Observation) -> Bool {
    let ids = known(o)
    if !ids.isEmpty { return ids.contains(cluster.clusterID) }
    let peerURLs = Set(cluster.members.flatMap(\.peerURLs))
    let markers = ([o.volume.notes.marker] + o.peers.map(\.marker)).compactMap { $0 }
    return markers.contains { Set($0.members.map(\.peerURL)) == peerURLs }
  }

  /// The observation with a foreign cluster set apart: the engine then decides as if no quorum
  /// answered, and says why.
  static func checked(_ o: Observation) -> Observation {
    guard let cluster = o.cluster, !isOurs(cluster, o) else { return o }
    var checked = o
    checked.foreignCluster = cluster
    checked.cluster = nil
    return checked
  }

  /// A waiting plan names the foreign cluster it ignored.
  static func explained(_ plan: Plan, _ o: Observation) -> Plan {
    guard let foreign = o.foreignCluster, plan.steps.last == .wait || plan.steps.isEmpty else { return plan }
    let members = foreign.members.map { $0.clientURLs.first ?? $0.peerURLs.first ?? $0.hexID }.joined(separator: ", ")
    let ours = known(o).map { String($0, radix: 16) }.sorted()
    var explained = plan
    explained.reason.text +=
      " (etcd at \(members) answers for cluster \(String(foreign.clusterID, radix: 16)), which is not this StatefulSet's"
      + (ours.isEmpty ? ": no cluster record, note or peer names it" : " (\(ours.joined(separator: ", ")))")
      + "; it is never joined or changed)"
    return explained
  }

  /// A cluster ID in hex as etcd prints it: lowercase, no leading zeros.
  static func hex(_ text: String) -> String {
    UInt64(text, radix: 16).map { String($0, radix: 16) } ?? text.lowercased()
  }
}
