import EtcdAPI
import Foundation
import GRPCCore

/// A lease and the time it lives without a keep-alive.
public struct Lease: Sendable, Hashable {
  public var id: Int64
  /// Seconds.
  public var ttl: Int64
}

/// What a lease's time-to-live query tells.
public struct LeaseTimeToLive: Sendable, Hashable {
  public var id: Int64
  /// Seconds left; -1 when the lease has expired or never existed.
  public var ttl: Int64
  /// The TTL the lease was granted with.
  public var grantedTTL: Int64
  /// The keys attached, when asked for.
  public var keys: [Data]
}

extension EtcdClient {
  /// Grants a lease that lives `ttl` seconds unless kept alive. `id` 0 lets etcd choose it.
  public func grant(ttl: Int64, id: Int64 = 0) async throws(EtcdError) -> Lease {
    var request = Etcdserverpb_LeaseGrantRequest()
    request.ttl = ttl
    request.id = id
    let response = try await perform("lease grant", retry: .ifNotSent) { target in
      try await Etcdserverpb_Lease.Client(wrapping: target.connection).leaseGrant(
        request, metadata: target.metadata, options: target.options)
    }
    if !response.error.isEmpty {
      throw EtcdError(.other, response.error, endpoint: preferredEndpoint?.description)
    }
    return Lease(id: response.id, ttl: response.ttl)
  }

  /// Revokes a lease; every key attached to it is deleted.
  public func revoke(lease id: Int64) async throws(EtcdError) {
    var request = Etcdserverpb_LeaseRevokeRequest()
    request.id = id
    _ = try await perform("lease revoke", retry: .ifNotSent) { target in
      try await Etcdserverpb_Lease.Client(wrapping: target.connection).leaseRevoke(
        request, metadata: target.metadata, options: target.options)
    }
  }

  /// How long a lease has left, and optionally the keys attached to it.
  public func timeToLive(lease id: Int64, keys: Bool = false) async throws(EtcdError) -> LeaseTimeToLive {
    var request = Etcdserverpb_LeaseTimeToLiveRequest()
    request.id = id
    request.keys = keys
    let response = try await perform("lease time-to-live", retry: .idempotent) { target in
      try await Etcdserverpb_Lease.Client(wrapping: target.connection).leaseTimeToLive(
        request, metadata: target.metadata, options: target.options)
    }
    return LeaseTimeToLive(id: response.id, ttl: response.ttl, grantedTTL: response.grantedTtl, keys: response.keys)
  }

  /// Renews a lease once and returns its new TTL; throws `leaseNotFound` when it has expired.
  @discardableResult
  public func keepAliveOnce(lease id: Int64) async throws(EtcdError) -> Int64 {
    var request = Etcdserverpb_LeaseKeepAliveRequest()
    request.id = id
    let ttl = try await perform("lease keep-alive", retry: .idempotent) { target in
      try await Etcdserverpb_Lease.Client(wrapping: target.connection).leaseKeepAlive(
        metadata: target.metadata, options: target.options,
        requestProducer: { [request] writer in try await writer.write(request) },
        onResponse: { response in
          for try await message in response.messages { return message.ttl }
          return Int64(0)
        })
    }
    guard ttl > 0 else {
      throw EtcdError(
        .leaseNotFound, "lease \(String(id, radix: 16)) has expired", endpoint: preferredEndpoint?.description)
    }
    return ttl
  }

  /// Keeps a lease alive until the calling task is cancelled, renewing it every third of its TTL
  /// over one stream and moving to another endpoint when the stream breaks.
  ///
  /// Throws `leaseNotFound` when the lease is gone (expired, or revoked by someone else), or
  /// `unavailable` when no renewal succeeded for longer than the TTL: from then on the lease may
  /// have expired, and whatever it guards must be treated as lost.
  public func keepAlive(lease: Lease) async throws(EtcdError) {
    let interval = Duration.milliseconds(max(lease.ttl, 1) * 1000 / 3)
    let clock = ContinuousClock()
    let lastRenewal = LockedValue(clock.now)
    var request = Etcdserverpb_LeaseKeepAliveRequest()
    request.id = lease.id
    while !Task.isCancelled {
      do {
        try await perform("lease keep-alive", retry: .idempotent) { target in
          var options = target.options
          options.timeout = nil
          try await Etcdserverpb_Lease.Client(wrapping: target.connection).leaseKeepAlive(
            metadata: target.metadata, options: options,
            requestProducer: { [request] writer in
              while !Task.isCancelled {
                try await writer.write(request)
                try await Task.sleep(for: interval)
              }
            },
            onResponse: { response in
              for try await message in response.messages {
                guard message.ttl > 0 else {
                  throw EtcdError(.leaseNotFound, "lease \(String(lease.id, radix: 16)) has expired")
                }
                lastRenewal.set(clock.now)
              }
            })
        }
      } catch {
        if error.code == .cancelled || Task.isCancelled { return }
        if error.code == .leaseNotFound || !error.isTransient { throw error }
        if clock.now - lastRenewal.get() > .seconds(lease.ttl) {
          throw EtcdError(
            .unavailable,
            "lease \(String(lease.id, radix: 16)) not renewed for \(lease.ttl)s: \(error.message)",
            endpoint: error.endpoint, cause: error)
        }
      }
      // The stream ended or broke: reopen it soon, on whichever endpoint answers.
      do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
    }
  }
}
