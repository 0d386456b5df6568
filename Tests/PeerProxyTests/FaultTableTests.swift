import PeerProxy
import Testing

struct FaultTableTests {
  @Test func blackholeWinsOverDropOverDelay() {
    let delay = Fault.delay(.milliseconds(100))
    let drop = Fault.drop(probability: 0.3)
    #expect(Fault.blackhole.combined(with: drop) == .blackhole)
    #expect(delay.combined(with: .blackhole) == .blackhole)
    #expect(delay.combined(with: drop) == drop)
    #expect(drop.combined(with: delay) == drop)
    #expect(Fault.none.combined(with: delay) == delay)
    #expect(Fault.none.combined(with: .none) == .none)
    #expect(delay.combined(with: .delay(.milliseconds(300))) == .delay(.milliseconds(300)))
    #expect(drop.combined(with: .drop(probability: 0.1)) == drop)
  }

  @Test func connectionFaultCombinesBothPods() {
    let faults = FaultTable()
    faults.set(.delay(.milliseconds(50)), for: "etcd-0")
    faults.set(.blackhole, for: "etcd-1")
    #expect(faults.fault(target: "etcd-0", initiator: nil) == .delay(.milliseconds(50)))
    #expect(faults.fault(target: "etcd-0", initiator: "etcd-1") == .blackhole)
    #expect(faults.fault(target: "etcd-0", initiator: "etcd-2") == .delay(.milliseconds(50)))
    #expect(faults.fault(target: "etcd-2", initiator: nil) == .none)
  }

  @Test func settingNoneHealsAndOutOfRangeValuesAreNormalized() {
    let faults = FaultTable()
    faults.set(.blackhole, for: "etcd-0")
    faults.set(.none, for: "etcd-0")
    #expect(faults.faults.isEmpty)
    faults.set(.drop(probability: 2), for: "etcd-0")
    #expect(faults.fault(for: "etcd-0") == .drop(probability: 1))
    faults.set(.drop(probability: 0), for: "etcd-0")
    #expect(faults.fault(for: "etcd-0") == .none)
    faults.set(.delay(.seconds(-1)), for: "etcd-1")
    #expect(faults.faults.isEmpty)
    faults.set(.blackhole, for: "etcd-2")
    faults.set(.blackhole, for: "etcd-3")
    faults.clearAll()
    #expect(faults.faults.isEmpty)
  }
}
