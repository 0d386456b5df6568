// TEMPORARY experiment, not to be committed.
import ArgumentParser
import EtcdAPI
import EtcdClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix

struct ExperimentCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "experiment")
  @Option var seconds: Double = 4
  @Option var etcd = ".tools/etcd-3.5.1/etcd"
  @Option(name: .customLong("concurrency")) var concurrencies: [Int] = [1, 64]
  @Option(name: .customLong("workload")) var workloads: [Workload] = [.range]
  @Option(name: .customLong("variant")) var variants: [String] = ["etcdclient", "raw-timeout", "raw-notimeout"]
  @Option var loops: Int = 0

  func run() async throws {
    if loops > 0 { NIOSingletons.groupLoopCountSuggestion = loops }
    let server = try await BenchEtcd.start(path: etcd, host: "127.0.90.2")
    do {
      try await withEtcdClient(EtcdClientConfiguration(endpoints: [server.endpoint])) { etcd in
        try await server.waitUntilReady(etcd, timeout: .seconds(30))
        try await etcd.put(Workload.rangeKey, Data(repeating: 0x76, count: 256))
      }
      try await withEtcdClient(EtcdClientConfiguration(endpoints: [server.endpoint])) { etcd in
        for workload in workloads {
          for c in concurrencies {
            for variant in variants {
              try await Task.sleep(for: .milliseconds(300))
              let sample: ClientSample
              if variant == "etcdclient-on-loop" {
                let executor = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
                sample = await onLoop(etcd, executor: executor, workload: workload, concurrency: c, pid: server.pid)
              } else if variant == "etcdclient" {
                sample = await SwiftClientRunner(etcd: etcd, valueSize: 256, serverPID: server.pid).run(
                  workload, concurrency: c, round: 1, warmup: .seconds(1), duration: .milliseconds(Int64(seconds * 1000)))
              } else {
                // A fresh connection per run: without etcd-pilot's PING responder a long-lived raw
                // connection is closed by swift-nio-http2's control-frame limit.
                let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.90.2", port: 2379), transportSecurity: .plaintext)
                var options = CallOptions.defaults
                if variant == "raw-timeout" { options.timeout = .seconds(5) }
                options.waitForReady = false
                sample = try await withGRPCClient(transport: transport) { client in
                  await raw(Etcdserverpb_KV.Client(wrapping: client), workload: workload, concurrency: c, options: options, pid: server.pid)
                }
              }
              let m = Measurement(pooling: [sample])
              print("\(workload) c\(c) \(variant): \(Int(m.throughput)) ops/s p50 \(Int(m.p50Microseconds)) p99 \(Int(m.p99Microseconds)) clientCPU/req \(Int(m.clientCPUMicrosecondsPerRequest))µs cores \(m.clientCores) server \(m.serverCores) errors \(m.errors) \(m.firstError ?? "")")
            }
          }
        }
      }
    } catch {
      await server.stop(removingFiles: true)
      throw error
    }
    await server.stop(removingFiles: true)
  }

  func onLoop(_ etcd: EtcdClient, executor: EventLoopTaskExecutor, workload: Workload, concurrency: Int, pid: Int32) async -> ClientSample {
    let clock = ContinuousClock()
    let recordFrom = clock.now + .seconds(1)
    let stopAt = recordFrom + .milliseconds(Int64(seconds * 1000))
    let value = Data(repeating: 0x76, count: 256)
    async let cpuAtStart: (Double, Double) = {
      try? await Task.sleep(until: recordFrom, clock: clock)
      return (CPUTime.ofThisProcess(), CPUTime.ofProcess(pid) ?? 0)
    }()
    let lat = await withTaskGroup(of: [UInt64].self) { group in
      for w in 0..<concurrency {
        group.addTask(executorPreference: executor) {
          var l: [UInt64] = []
          var n = 0
          let key = KeyRange.key(Workload.rangeKey)
          while true {
            let start = clock.now
            if start >= stopAt { break }
            do {
              if workload == .range {
                _ = try await etcd.get(key)
              } else {
                n += 1
                try await etcd.put("bench/put/loop/\(w)/\(n)/\(UInt32.random(in: 0...UInt32.max))", value)
              }
              if start >= recordFrom { l.append((clock.now - start).nanoseconds) }
            } catch {}
          }
          return l
        }
      }
      var all: [UInt64] = []
      for await l in group { all += l }
      return all
    }
    let elapsed = clock.now - recordFrom
    let end = (CPUTime.ofThisProcess(), CPUTime.ofProcess(pid) ?? 0)
    let s = await cpuAtStart
    return ClientSample(latenciesNanoseconds: lat, elapsedSeconds: elapsed.seconds, errors: 0, firstError: nil, clientCPUSeconds: end.0 - s.0, serverCPUSeconds: end.1 - s.1)
  }

  func raw(_ kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>, workload: Workload, concurrency: Int, options: CallOptions, pid: Int32) async -> ClientSample {
    let clock = ContinuousClock()
    let recordFrom = clock.now + .seconds(1)
    let stopAt = recordFrom + .milliseconds(Int64(seconds * 1000))
    let value = Data(repeating: 0x76, count: 256)
    async let cpuAtStart: (Double, Double) = {
      try? await Task.sleep(until: recordFrom, clock: clock)
      return (CPUTime.ofThisProcess(), CPUTime.ofProcess(pid) ?? 0)
    }()
    let lat = await withTaskGroup(of: [UInt64].self) { group in
      for w in 0..<concurrency {
        group.addTask {
          var l: [UInt64] = []
          var n = 0
          while true {
            let start = clock.now
            if start >= stopAt { break }
            do {
              if workload == .range {
                var r = Etcdserverpb_RangeRequest()
                r.key = Data(Workload.rangeKey.utf8)
                _ = try await kv.range(r, options: options)
              } else {
                n += 1
                var r = Etcdserverpb_PutRequest()
                r.key = Data("bench/put/raw/\(w)/\(n)/\(UInt32.random(in: 0...UInt32.max))".utf8)
                r.value = value
                _ = try await kv.put(r, options: options)
              }
              if start >= recordFrom { l.append((clock.now - start).nanoseconds) }
            } catch { l.append(UInt64.max) }
          }
          return l
        }
      }
      var all: [UInt64] = []
      for await l in group { all += l }
      return all
    }
    let elapsed = clock.now - recordFrom
    let end = (CPUTime.ofThisProcess(), CPUTime.ofProcess(pid) ?? 0)
    let s = await cpuAtStart
    let ok = lat.filter { $0 != UInt64.max }
    return ClientSample(latenciesNanoseconds: ok, elapsedSeconds: elapsed.seconds, errors: lat.count - ok.count, firstError: nil, clientCPUSeconds: end.0 - s.0, serverCPUSeconds: end.1 - s.1)
  }
}

final class EventLoopTaskExecutor: TaskExecutor {
  let loop: any EventLoop
  init(_ loop: any EventLoop) { self.loop = loop }
  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
