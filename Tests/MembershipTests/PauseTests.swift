import Membership
import Testing

/// The pause rules, one for Kubernetes and the local StatefulSet: what the engine is told.
@Suite("Engine: pause rules")
struct PauseTests {
  @Test(
    "deleting, 0 replicas, a status behind its spec or no StatefulSet at all is a pause; otherwise the replica count",
    arguments: [
      (StatefulSetState(name: "etcd", replicas: 3), "3"),
      (StatefulSetState(name: "etcd", replicas: 3, deleting: true), "paused: the StatefulSet etcd is being deleted"),
      (StatefulSetState(name: "etcd", replicas: 0), "paused: the StatefulSet etcd wants 0 replicas"),
      (
        StatefulSetState(name: "etcd", replicas: 5, generation: 4, observedGeneration: 3),
        "paused: the StatefulSet etcd is being updated (generation 4, observed 3)"
      ),
      (StatefulSetState(name: "etcd", replicas: 5, generation: 4, observedGeneration: 4), "5"),
      (StatefulSetState(name: "etcd", replicas: 5, generation: 4), "5"),
    ])
  func desired(state: StatefulSetState, expected: String) {
    let told: String =
      switch state.desired {
      case .replicas(let count): "\(count)"
      case .paused(let reason): "paused: \(reason)"
      }
    #expect(told == expected)
    #expect(
      StatefulSetState.missing("the StatefulSet etcd")
        == .paused(reason: "the StatefulSet etcd does not exist (deleted)"))
  }

  @Test("pod phases run one past both the desired count and the highest pod, absent where the platform has none")
  func phases() {
    let state = StatefulSetState(name: "etcd", replicas: 2, pods: [0: .running, 1: .pending, 3: .terminating])
    #expect(
      state.phases == [
        PodPhase(ordinal: 0, state: .running), PodPhase(ordinal: 1, state: .pending),
        PodPhase(ordinal: 2, state: .absent),
        PodPhase(ordinal: 3, state: .terminating), PodPhase(ordinal: 4, state: .absent),
      ])
    #expect(StatefulSetState(name: "etcd", replicas: 3).phases.map(\.state) == [.absent, .absent, .absent, .absent])
  }
}
