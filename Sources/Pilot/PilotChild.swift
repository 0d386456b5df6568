import ServiceLifecycle

/// One of the pilot's concurrent children (an HTTP server, the consistency check, certificate
/// renewal, the decision loop) as a service of its `ServiceGroup`: the group runs them all,
/// turns SIGTERM into a graceful shutdown and surfaces the first error any of them throws.
struct PilotChild: Service, CustomStringConvertible {
  let description: String
  private let body: @Sendable () async throws -> Void

  init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
    self.description = name
    self.body = body
  }

  func run() async throws { try await body() }
}
