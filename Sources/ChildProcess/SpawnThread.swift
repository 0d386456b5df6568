import Dispatch
import Foundation
import Synchronization

/// The thread children with a death signal are started from.
///
/// Linux sends a child its parent-death signal (`PR_SET_PDEATHSIG`) when the *thread* that
/// forked it ends, not when the process does. The cooperative pool's threads come and go (an
/// idle one exits after a few seconds), and a child forked on one would be killed with it. This
/// thread is made once and never ends, so the signal comes exactly when this process dies —
/// however it dies, SIGKILL included.
///
/// A task executor: a task that prefers it runs its jobs here, one at a time, including the
/// synchronous fork inside `Subprocess.run`.
final class SpawnThread: TaskExecutor, Sendable {
  static let shared = SpawnThread()

  private let jobs = Mutex<[UnownedJob]>([])
  private let ready = DispatchSemaphore(value: 0)

  private init() {
    let thread = Thread { [self] in
      while true {
        ready.wait()
        guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
        job.runSynchronously(on: asUnownedTaskExecutor())
      }
    }
    thread.name = "etcd-pilot spawn"
    thread.start()
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    jobs.withLock { $0.append(job) }
    ready.signal()
  }
}
