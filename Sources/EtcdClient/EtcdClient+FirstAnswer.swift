extension EtcdClient {
  /// Sends `call` to every endpoint at once and returns the first answer, with a view of this
  /// client pinned to the endpoint that gave it (for the calls that should follow on the same
  /// member).
  ///
  /// One deadline for all: a tool given fifty endpoints of which one answers waits for that one,
  /// not for the forty-nine others in turn. The rest are cancelled once an answer is in. When
  /// none answers, the error names every endpoint and what it said.
  public func firstAnswer<R: Sendable>(
    _ name: String, timeout: Duration? = nil, _ call: @escaping @Sendable (EtcdClient) async throws(EtcdError) -> R
  ) async throws(EtcdError) -> (answer: R, from: EtcdClient) {
    let deadline = timeout ?? configuration.dialTimeout ?? configuration.callTimeout
    let candidates = endpoints.map { pinned(to: $0).withTimeout(deadline) }
    if candidates.count == 1 { return (try await call(candidates[0]), pinned(to: endpoints[0])) }
    let outcome = await withTaskGroup(of: (Int, Result<R, EtcdError>).self) {
      group -> Result<(R, EtcdClient), EtcdError> in
      for (index, client) in candidates.enumerated() {
        group.addTask {
          do throws(EtcdError) {
            return (index, .success(try await call(client)))
          } catch {
            return (index, .failure(error))
          }
        }
      }
      var failures: [(Int, EtcdError)] = []
      for await (index, result) in group {
        switch result {
        case .success(let answer):
          group.cancelAll()
          return .success((answer, pinned(to: endpoints[index])))
        case .failure(let error):
          failures.append((index, error))
        }
      }
      // In the order the endpoints were given, as `perform` reports them.
      let ordered = failures.sorted { $0.0 < $1.0 }.map(\.1)
      guard var last = ordered.last else { return .failure(EtcdError(.invalidConfiguration, "no endpoints given")) }
      last.message =
        "no endpoint answered \(name): "
        + ordered.map { "\($0.endpoint ?? "?"): \($0.message)" }.joined(separator: "; ")
      last.endpoint = nil
      return .failure(last)
    }
    return try outcome.get()
  }
}
