import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to a running supervisor's control API for the `local` commands.
public struct LocalControlClient: Sendable {
  public let layout: LocalClusterLayout
  let port: Int
  let token: ControlToken

  /// Finds the supervisor of `layout`; throws a clear error when none runs.
  public init(layout: LocalClusterLayout) throws {
    let config = try layout.readConfig()
    // The lock, not the PID: a supervisor killed outright may linger as an unreaped zombie.
    guard let port = config.controlPort, SupervisorLock.isHeld(layout) else {
      throw LocalClusterError(
        "the local cluster in \(layout.directory) is not running: start it with `etcd-pilot local up --dir \(layout.directory)`"
      )
    }
    self.layout = layout
    self.port = port
    token = try ControlToken.read(layout)
  }

  /// Sends a control request; throws the supervisor's one-line error on failure.
  @discardableResult
  public func send(_ method: String, _ path: String, query: [String: String] = [:]) async throws -> Data {
    let items = query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)\(items.isEmpty ? "" : "?" + items)")
    request.method = .init(rawValue: method)
    request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
    let response: HTTPClientResponse
    do {
      response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    } catch {
      throw LocalClusterError("cannot reach the supervisor of \(layout.directory) on port \(port): \(error)")
    }
    let body = Data((try await response.body.collect(upTo: 4 << 20)).readableBytesView)
    guard response.status.code == 200 else {
      throw LocalClusterError(String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return body
  }

  public struct Status: Codable, Sendable {
    public var replicas: Int
    public var pods: [LocalStatefulSet.PodSnapshot]
  }

  public func status() async throws -> Status {
    try JSONDecoder().decode(Status.self, from: try await send("GET", "/status"))
  }
}
