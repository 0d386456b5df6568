import EtcdClient
import Foundation

/// Runs a workload with our ``EtcdClient``: `concurrency` tasks in a closed loop (each sends its
/// next request when the last is answered) over one client, hence one HTTP/2 connection.
struct SwiftClientRunner: Sendable {
  let etcd: EtcdClient
  /// The value every put writes.
  let value: Data
  /// The server's process, whose CPU time is measured beside ours.
  let serverPID: Int32

  init(etcd: EtcdClient, valueSize: Int, serverPID: Int32) {
    self.etcd = etcd
    self.serverPID = serverPID
    self.value = Data(repeating: UInt8(ascii: "v"), count: valueSize)
  }

  /// Sends requests for `warmup` (not recorded), then for `duration` (recorded).
  func run(
    _ workload: Workload, concurrency: Int, round: Int, warmup: Duration, duration: Duration
  ) async -> ClientSample {
    let clock = ContinuousClock()
    let recordFrom = clock.now + warmup
    let stopAt = recordFrom + duration
    let prefix = Workload.putPrefix(client: "swift", round: round, concurrency: concurrency)
    let serverPID = serverPID
    // CPU times at the window's start, taken by a task that wakes then.
    async let cpuAtStart: (client: Double, server: Double) = {
      try? await Task.sleep(until: recordFrom, clock: clock)
      return (CPUTime.ofThisProcess(), CPUTime.ofProcess(serverPID) ?? 0)
    }()
    let workers = await withTaskGroup(of: ClientSample.self) { group in
      for worker in 0..<concurrency {
        group.addTask {
          await runWorker(
            workload, keyPrefix: "\(prefix)/\(worker)/", recordFrom: recordFrom, stopAt: stopAt, clock: clock)
        }
      }
      var samples: [ClientSample] = []
      for await sample in group { samples.append(sample) }
      return samples
    }
    // Every request started before stopAt has been answered: the window ends now.
    let elapsed = clock.now - recordFrom
    let (clientCPUAtEnd, serverCPUAtEnd) = (CPUTime.ofThisProcess(), CPUTime.ofProcess(serverPID) ?? 0)
    let start = await cpuAtStart
    return ClientSample(
      latenciesNanoseconds: workers.flatMap(\.latenciesNanoseconds),
      elapsedSeconds: elapsed.seconds,
      errors: workers.reduce(0) { $0 + $1.errors },
      firstError: workers.lazy.compactMap(\.firstError).first,
      clientCPUSeconds: clientCPUAtEnd - start.client, serverCPUSeconds: serverCPUAtEnd - start.server)
  }

  /// One closed-loop sender.
  private func runWorker(
    _ workload: Workload, keyPrefix: String, recordFrom: ContinuousClock.Instant,
    stopAt: ContinuousClock.Instant, clock: ContinuousClock
  ) async -> ClientSample {
    var sample = ClientSample(
      latenciesNanoseconds: [], elapsedSeconds: 0, errors: 0, firstError: nil, clientCPUSeconds: 0, serverCPUSeconds: 0)
    sample.latenciesNanoseconds.reserveCapacity(1 << 14)
    let rangeKey = KeyRange.key(Workload.rangeKey)
    var sent = 0
    while true {
      let start = clock.now
      if start >= stopAt { break }
      do {
        switch workload {
        case .put:
          sent += 1
          try await etcd.put("\(keyPrefix)\(sent)", value)
        case .range:
          _ = try await etcd.get(rangeKey)
        }
        if start >= recordFrom { sample.latenciesNanoseconds.append((clock.now - start).nanoseconds) }
      } catch {
        if start >= recordFrom {
          sample.errors += 1
          if sample.firstError == nil { sample.firstError = String(describing: error) }
        }
      }
    }
    return sample
  }
}
