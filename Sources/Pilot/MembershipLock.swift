import EtcdClient
import Foundation
import Logging

/// The membership lock, kept in etcd itself: a key created only if absent, bound to a 15 s
/// lease. Every add, remove, promote and update happens while holding it, so changes are
/// serialized (etcd silently drops a second configuration change proposed before the first
/// applies).
///
/// The holder renews the lease on every observation (at least every few seconds); if it stops
/// doing so the lease expires and the lock frees itself.
public actor MembershipLock {
  public static let key = "/etcd-pilot/lock/membership"
  public static let ttl: Int64 = 15
  private let owner: String
  private let logger: Logger
  private var lease: Lease?

  /// `owner` names the holder in messages; the lock's value adds a token of this incarnation,
  /// so that a second pilot of the same name (a zombie on a partitioned node) never passes for
  /// the holder.
  public init(owner: String, logger: Logger) {
    self.owner = "\(owner)/\(String(UInt64.random(in: 1...UInt64.max), radix: 16))"
    self.logger = logger
  }

  public var isHeld: Bool { lease != nil }

  /// Tries to take the lock; returns the current holder when someone else has it.
  public func acquire(using client: EtcdClient) async throws(EtcdError) -> String? {
    if lease != nil { return nil }
    let lease = try await client.grant(ttl: Self.ttl)
    let result = try await client.txn(
      if: [.version(.key(Self.key), .equal, 0)],
      then: [.put(Self.key, owner, lease: lease.id)],
      else: [.get(.key(Self.key))])
    if result.succeeded {
      self.lease = lease
      logger.debug("acquired the membership lock")
      return nil
    }
    try? await client.revoke(lease: lease.id)
    if case .get(let current)? = result.responses.first, let holder = current.kvs.first?.valueString {
      return holder
    }
    return "someone"
  }

  /// Renews the lease; drops the lock if the lease is gone.
  public func renew(using client: EtcdClient) async {
    guard let lease else { return }
    do {
      try await client.keepAliveOnce(lease: lease.id)
    } catch  where error.code == .leaseNotFound {
      logger.warning("the membership lock's lease expired; the lock is lost")
      self.lease = nil
    } catch {
      logger.debug("could not renew the membership lock: \(error)")
    }
  }

  /// Renews the lease right before a membership change and throws unless the lock is still
  /// held — the lease alive and the key still holding this incarnation's value: a change made
  /// after the lease expired could race another holder's.
  public func confirm(using client: EtcdClient) async throws(PilotError) {
    guard let lease else { throw PilotError("the membership lock is not held; a membership change needs it") }
    let held: Bool
    do {
      try await client.keepAliveOnce(lease: lease.id)
      held = try await client.txn(if: [.value(.key(Self.key), .equal, owner)], then: [], else: []).succeeded
    } catch {
      if error.code == .leaseNotFound {
        logger.warning("the membership lock's lease expired; the lock is lost")
        self.lease = nil
      }
      throw PilotError("the membership lock could not be renewed before a membership change: \(error)")
    }
    guard held else {
      self.lease = nil
      throw PilotError("the membership lock's key no longer holds this pilot's token: another pilot holds the lock")
    }
  }

  /// Releases the lock (deletes the key if it is still ours, revokes the lease).
  public func release(using client: EtcdClient) async {
    guard let lease else { return }
    self.lease = nil
    _ = try? await client.txn(if: [.value(.key(Self.key), .equal, owner)], then: [.delete(.key(Self.key))])
    try? await client.revoke(lease: lease.id)
    logger.debug("released the membership lock")
  }
}
