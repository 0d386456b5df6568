import EtcdClient
import Foundation
import Linearizability

/// The verify workload: writers of unique keys, and compare-and-set increments on a few
/// registers, recorded in a ``History`` until cancelled.
public struct Workload: Sendable {
  public var writers = 4
  public var registers = 3
  public var registerWorkers = 3
  public var prefix = "verify"

  public init() {}

  /// The key of unique write `index` of writer `writer`.
  func writeKey(_ writer: Int, _ index: Int) -> String { "\(prefix)/writes/\(writer)/\(index)" }
  func registerKey(_ register: Int) -> String { "\(prefix)/registers/\(register)" }

  /// Runs until the task is cancelled.
  public func run(
    using etcd: EtcdClient, into history: History, clock: ContinuousClock, start: ContinuousClock.Instant
  ) async {
    await withTaskGroup(of: Void.self) { group in
      for writer in 0..<writers {
        group.addTask { await writeUniqueKeys(writer, etcd: etcd, history: history) }
      }
      for worker in 0..<registerWorkers {
        group.addTask { await incrementRegisters(worker, etcd: etcd, history: history, clock: clock, start: start) }
      }
    }
  }

  private func writeUniqueKeys(_ writer: Int, etcd: EtcdClient, history: History) async {
    var index = 0
    while !Task.isCancelled {
      index += 1
      let key = writeKey(writer, index)
      let value = "\(writer)-\(index)"
      let outcome: History.Outcome
      do {
        try await etcd.put(key, value)
        outcome = .ok
      } catch {
        outcome = Self.outcome(of: error)
      }
      if Task.isCancelled, outcome != .ok {
        history.record(.init(key: key, value: value, outcome: .indeterminate))
        return
      }
      history.record(.init(key: key, value: value, outcome: outcome))
      if outcome != .ok { try? await Task.sleep(for: .milliseconds(50)) }
    }
  }

  /// Read a register, then try to move it one up with a compare-and-set; every step recorded.
  private func incrementRegisters(
    _ worker: Int, etcd: EtcdClient, history: History, clock: ContinuousClock, start: ContinuousClock.Instant
  ) async {
    var round = 0
    func now() -> Int64 {
      let elapsed = (clock.now - start).components
      return elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
    }
    while !Task.isCancelled {
      round += 1
      let register = (worker + round) % registers
      let key = registerKey(register)
      let readCall = now()
      let current: Int?
      do {
        let kvs = try await etcd.get(.key(key)).kvs
        current = kvs.first.flatMap { Int($0.valueString) }
        history.record(
          .init(key: key, input: .read, output: .value(current), call: readCall, ret: now(), client: worker), .ok)
      } catch {
        // A failed read has no effect: counted, not checked.
        history.recordUnchecked(.failed)
        try? await Task.sleep(for: .milliseconds(50))
        continue
      }
      let next = (current ?? 0) + 1
      let compare: Compare = current.map { .value(.key(key), .equal, String($0)) } ?? .version(.key(key), .equal, 0)
      let casCall = now()
      do {
        let swapped = try await etcd.txn(if: [compare], then: [.put(key, String(next))]).succeeded
        history.record(
          .init(
            key: key, input: .compareAndSet(expected: current, new: next), output: .swapped(swapped), call: casCall,
            ret: now(), client: worker),
          .ok)
      } catch {
        let outcome = Self.outcome(of: error)
        // A certain failure had no effect: leave it out. An unknown one may have taken effect.
        if outcome == .indeterminate || Task.isCancelled {
          history.record(
            .init(
              key: key, input: .compareAndSet(expected: current, new: next), output: nil, call: casCall, ret: nil,
              client: worker),
            .indeterminate)
        } else {
          // Refused before it ran: no effect, and not a failed comparison either.
          history.recordUnchecked(.failed)
        }
        try? await Task.sleep(for: .milliseconds(50))
      }
    }
  }

  /// Whether a failed call certainly had no effect.
  static func outcome(of error: any Error) -> History.Outcome {
    guard let error = error as? EtcdError else { return .indeterminate }
    if error.notSent { return .failed }
    switch error.code {
    case .noLeader, .learnerNotSupported, .permissionDenied, .invalidAuthToken: return .failed
    default: return .indeterminate
    }
  }
}
