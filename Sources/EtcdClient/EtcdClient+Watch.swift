import EtcdAPI
import Foundation
import GRPCCore
import Logging

/// One change seen by a watch.
public struct WatchEvent: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case put
    case delete
  }

  public var kind: Kind
  /// The key after the change; for a delete, the key with an empty value.
  public var kv: KeyValue
  /// The key before the change, when the watch asked for it.
  public var prevKV: KeyValue?

  /// The revision of the change.
  public var revision: Int64 { kv.modRevision }
}

/// The events of a watch, in revision order, as an `AsyncSequence`.
///
/// It ends with an error when the watch cannot go on (`compacted` when the revision it needs is
/// gone, `permissionDenied`), and never because an endpoint was lost: the watch then resumes on
/// another endpoint from the revision after the last one delivered.
public struct WatchEvents: AsyncSequence, Sendable {
  public typealias Element = WatchEvent
  let stream: AsyncThrowingStream<WatchEvent, any Error>

  public struct AsyncIterator: AsyncIteratorProtocol {
    var base: AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator
    public mutating func next() async throws -> WatchEvent? { try await base.next() }
  }

  public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }
}

extension EtcdClient {
  /// Watches a key or range and hands its events to `body`; the watch ends when `body` returns
  /// (or its task is cancelled).
  ///
  /// - Parameters:
  ///   - range: the key, or `.prefix(...)` and the like.
  ///   - revision: the first revision to deliver; 0 for changes from now on.
  ///   - prevKV: deliver each key's previous value too.
  public func watch<R: Sendable>(
    _ range: KeyRange, fromRevision revision: Int64 = 0, prevKV: Bool = false,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (WatchEvents) async throws -> R
  ) async throws -> R {
    let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent.self)
    return try await withThrowingTaskGroup(of: Void.self, isolation: isolation) { group in
      group.addTask {
        do {
          try await self.runWatch(range, from: revision, prevKV: prevKV, into: continuation)
          continuation.finish()
        } catch {
          continuation.finish(throwing: error)
        }
      }
      defer { group.cancelAll() }
      return try await body(WatchEvents(stream: stream))
    }
  }

  /// Feeds `continuation` until cancelled, re-creating the watch from the next revision whenever
  /// its stream breaks.
  private func runWatch(
    _ range: KeyRange, from revision: Int64, prevKV: Bool,
    into continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
  ) async throws(EtcdError) {
    let next = LockedValue(revision)
    var failuresInARow = 0
    while !Task.isCancelled {
      let resumedFrom = next.get()
      do {
        try await perform("watch", retry: .idempotent) { target in
          var options = target.options
          options.timeout = nil
          var metadata = target.metadata
          // Without it, a member cut off from the leader keeps the watch open and silent.
          metadata.addString("true", forKey: "hasleader")
          var create = Etcdserverpb_WatchCreateRequest()
          create.key = range.key
          create.rangeEnd = range.rangeEnd
          create.startRevision = next.get()
          create.prevKv = prevKV
          var request = Etcdserverpb_WatchRequest()
          request.createRequest = create
          try await Etcdserverpb_Watch.Client(wrapping: target.connection).watch(
            metadata: metadata, options: options,
            requestProducer: { [request] writer in
              try await writer.write(request)
              // Keep our half open: closing it ends the watch on the server.
              while true { try await Task.sleep(for: .seconds(3600)) }
            },
            onResponse: { response in
              for try await message in response.messages {
                if message.created {
                  if next.get() == 0 { next.set(message.header.revision + 1) }
                  continue
                }
                if message.canceled {
                  if message.compactRevision > 0 {
                    throw EtcdError(
                      .compacted,
                      "watch from revision \(next.get()) cancelled: history compacted up to \(message.compactRevision)",
                      endpoint: target.endpoint.description)
                  }
                  throw EtcdError.from(
                    RPCError(code: .unavailable, message: message.cancelReason),
                    endpoint: target.endpoint.description)
                }
                for event in message.events {
                  let delivered = WatchEvent(
                    kind: event.type == .delete ? .delete : .put, kv: KeyValue(event.kv),
                    prevKV: event.hasPrevKv ? KeyValue(event.prevKv) : nil)
                  continuation.yield(delivered)
                  next.set(delivered.revision + 1)
                }
              }
            })
        }
      } catch {
        if error.code == .cancelled || Task.isCancelled { return }
        guard error.isTransient || error.code == .other else { throw error }
        logger.debug("watch of \(range) broke, resuming from revision \(next.get()): \(error.message)")
      }
      failuresInARow = next.get() == resumedFrom ? failuresInARow + 1 : 1
      let pause = Duration.milliseconds(min(100 * (1 << min(failuresInARow, 4)), 2000))
      do { try await Task.sleep(for: pause) } catch { return }
    }
  }
}
