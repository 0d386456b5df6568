import Membership

/// Random observations, from a seed, covering the whole input space the engine can see:
/// random pod counts and desired counts, clusters with dead, unstarted, learner and unowned
/// members, volumes with and without data and markers, records, peers, etcd states, locks.
enum RandomObservation {
  static func make(seed: UInt64) -> Observation {
    var rng = SplitMix(seed: seed)
    let size = Int.random(in: 1...7, using: &rng)
    let me = Int.random(in: 0..<size, using: &rng)
    var scenario = Scenario(pods: size, desired: Int.random(in: 0...size, using: &rng), me: me)
    if Int.random(in: 0..<8, using: &rng) == 0 { scenario.desired = .paused(reason: "random pause") }

    var cluster: ClusterView?
    if Bool.random(using: &rng) {
      var members: [MemberView] = []
      for ordinal in 0..<(size + 1) where Int.random(in: 0..<4, using: &rng) > 0 {
        let started = Int.random(in: 0..<6, using: &rng) > 0
        members.append(
          Scenario.member(
            ordinal, alive: Int.random(in: 0..<3, using: &rng) > 0, learner: Int.random(in: 0..<5, using: &rng) == 0,
            started: started, index: UInt64.random(in: 0...2000, using: &rng)))
      }
      if !members.isEmpty {
        let leader = members.filter { $0.isAlive && $0.isVoter }.randomElement(using: &rng)
        cluster = ClusterView(clusterID: 0xc1, members: members, leaderID: leader?.id)
      }
    }
    let marker: BootstrapMarker? =
      Bool.random(using: &rng)
      ? Scenario.marker(Array(0..<Int.random(in: 1...size, using: &rng)), at: Double.random(in: 0...1000, using: &rng))
      : nil
    let notes = PilotNotes(
      marker: Bool.random(using: &rng) ? marker : nil, formed: Bool.random(using: &rng),
      memberID: Bool.random(using: &rng) ? String(Scenario.id(me), radix: 16) : nil,
      token: Bool.random(using: &rng) ? "t-formed" : nil)
    let aside = (0..<Int.random(in: 0...3, using: &rng)).map { index in
      AsideCopy(
        name: "2026120\(index)T000000Z-copy", bytes: Int64.random(in: 0...(1 << 30), using: &rng),
        redundant: Bool.random(using: &rng))
    }
    let volume = VolumeState(
      hasEtcdData: Bool.random(using: &rng), notes: notes, aside: aside,
      freeBytes: Bool.random(using: &rng) ? Int64.random(in: 0...(2 << 30), using: &rng) : nil)
    let record: RecordState = [.absent, .present(Scenario.record), .unknown][Int.random(in: 0..<3, using: &rng)]
    let peers: [PeerReport] = (0..<size).filter { $0 != me && Bool.random(using: &rng) }.map { ordinal in
      var report = Scenario.fresh(ordinal)
      report.fresh = Bool.random(using: &rng)
      report.marker = Bool.random(using: &rng) ? marker : nil
      report.formed = Int.random(in: 0..<4, using: &rng) == 0
      return report
    }
    let exits: [EtcdExit] = [
      .removed, .alreadyBootstrapped, .corruptData("crc mismatch"), .otherCluster("mismatch"), .crashed("2"),
    ]
    let etcd: EtcdRunState =
      switch Int.random(in: 0..<3, using: &rng) {
      case 0: .stopped
      case 1:
        .running(
          serving: Int.random(in: 0..<5, using: &rng) > 0, memberID: Bool.random(using: &rng) ? Scenario.id(me) : nil,
          secondsUp: Double.random(in: 0...100, using: &rng))
      default: .exited(exits.randomElement(using: &rng)!)
      }
    let phases = (0..<(size + 1)).map {
      PodPhase(
        ordinal: $0, state: [PodPhase.State.running, .pending, .terminating, .absent].randomElement(using: &rng)!)
    }
    var stalled: [UInt64: Double] = [:]
    for member in cluster?.members ?? [] { stalled[member.id] = Double.random(in: 0...600, using: &rng) }
    var observation = scenario.observe(
      volume: volume, record: record, cluster: cluster, peers: peers, etcd: etcd, holdsLock: Bool.random(using: &rng),
      stopping: Int.random(in: 0..<4, using: &rng) == 0, phases: phases, now: 1000, stalled: stalled)
    if Bool.random(using: &rng) { observation.secondsWaitingForAbsentPods = Double.random(in: 0...300, using: &rng) }
    if Int.random(in: 0..<4, using: &rng) == 0 { observation.volume.hasPartialData = !observation.volume.hasEtcdData }
    // A consistency check's reading: some members answering, a few distinct hashes, now and
    // then from another compaction.
    if Int.random(in: 0..<3, using: &rng) == 0, let members = cluster?.members {
      var hashes: [UInt64: ConsistencyReading.Hash] = [:]
      for member in members where Int.random(in: 0..<4, using: &rng) > 0 {
        hashes[member.id] = .init(
          hash: UInt32.random(in: 1...3, using: &rng), compactRevision: Int.random(in: 0..<6, using: &rng) == 0 ? 9 : 7)
      }
      observation.consistency = ConsistencyReading(revision: 4711, hashes: hashes, readAt: 990)
    }
    // A space reading beside the leader: sizes around a small quota, now and then an alarm.
    if Int.random(in: 0..<3, using: &rng) == 0, let members = cluster?.members {
      observation.settings.quotaBytes = 1 << 30
      var sizes: [UInt64: SpaceReading.Member] = [:]
      for member in members where Int.random(in: 0..<5, using: &rng) > 0 {
        let size = Int64.random(in: 1...(1 << 30), using: &rng)
        sizes[member.id] = .init(dbSize: size, dbSizeInUse: Int64.random(in: 0...size, using: &rng))
      }
      let alarms: [SpaceReading.Alarm] =
        Bool.random(using: &rng)
        ? []
        : [
          .init(memberID: members.randomElement(using: &rng)!.id, kind: Bool.random(using: &rng) ? .noSpace : .corrupt)
        ]
      observation.space = SpaceReading(members: sizes, alarms: alarms, revision: 5000, readAt: 990)
      if Bool.random(using: &rng) { observation.noSpaceCompactedAt = 4000 }
    }
    return observation
  }
}
