import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The lock a local cluster's supervisor holds for as long as it runs (`flock` on
/// `<dir>/supervisor.lock`): two `local up`s on one folder cannot both run one, and a
/// supervisor that died (even by SIGKILL, even as an unreaped zombie) no longer holds it.
public final class SupervisorLock: Sendable {
  private let descriptor: Int32

  private init(descriptor: Int32) { self.descriptor = descriptor }

  deinit { close(descriptor) }

  /// Takes the lock, or says who holds it.
  public static func acquire(_ layout: LocalClusterLayout) throws(LocalClusterError) -> SupervisorLock {
    let path = "\(layout.directory)/supervisor.lock"
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw LocalClusterError("cannot open \(path): \(String(cString: strerror(errno)).lowercased())")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      close(descriptor)
      let pid = (try? layout.readConfig())?.supervisorPID.map { " (supervisor pid \($0))" } ?? ""
      throw LocalClusterError(
        "a local cluster already runs in \(layout.directory)\(pid): see `etcd-pilot local status --dir \(layout.directory)`, or stop it with `local down`"
      )
    }
    return SupervisorLock(descriptor: descriptor)
  }

  /// The descriptor the lock is held on: a child given it (as its stdin) holds the lock too,
  /// and keeps holding it after this process lets go — `up --detach` hands the lock to its
  /// supervisor without a moment in which another `up` could take the folder.
  public var fileDescriptor: Int32 { descriptor }

  /// The lock handed over on `descriptor` (a supervisor's stdin), checked to be `layout`'s lock
  /// file and held.
  public static func inherited(
    _ descriptor: Int32, layout: LocalClusterLayout
  ) throws(LocalClusterError) -> SupervisorLock {
    let opened = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
    let lockFile =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(layout.directory)/supervisor.lock"))
      ?? "\(layout.directory)/supervisor.lock"
    guard let opened,
      URL(fileURLWithPath: opened).resolvingSymlinksInPath()
        == URL(fileURLWithPath: lockFile).resolvingSymlinksInPath(),
      flock(descriptor, LOCK_EX | LOCK_NB) == 0
    else {
      throw LocalClusterError(
        "descriptor \(descriptor) is not the held lock of \(layout.directory): start the supervisor with `local up --detach`"
      )
    }
    let own = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
    guard own >= 0 else {
      throw LocalClusterError("cannot keep the lock of \(layout.directory): \(String(cString: strerror(errno)))")
    }
    return SupervisorLock(descriptor: own)
  }

  /// Whether a supervisor holds the lock of `layout` now.
  public static func isHeld(_ layout: LocalClusterLayout) -> Bool {
    let descriptor = open("\(layout.directory)/supervisor.lock", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return true }
    flock(descriptor, LOCK_UN)
    return false
  }
}
