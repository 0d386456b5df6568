import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The small in-cluster Kubernetes API client the agent needs: a few GETs, a create, an update
/// and events, over HTTPS with the pod's service-account token and CA.
public final class KubernetesClient: Sendable {
  /// Where the API is and how to authenticate, as a pod finds it.
  public struct Configuration: Sendable {
    public var baseURL: String
    public var tokenFile: String
    public var caFile: String
    public var namespace: String

    public init(baseURL: String, tokenFile: String, caFile: String, namespace: String) {
      self.baseURL = baseURL
      self.tokenFile = tokenFile
      self.caFile = caFile
      self.namespace = namespace
    }

    /// The in-cluster configuration: `KUBERNETES_SERVICE_HOST`/`_PORT` and the service account
    /// files under `/var/run/secrets/kubernetes.io/serviceaccount`.
    public static func inCluster(
      environment: [String: String] = ProcessInfo.processInfo.environment,
      serviceAccountDirectory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws(KubernetesError) -> Configuration {
      guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"] else {
        throw KubernetesError(
          "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
      }
      let token = "\(serviceAccountDirectory)/token"
      let ca = "\(serviceAccountDirectory)/ca.crt"
      for file in [token, ca] where !FileManager.default.isReadableFile(atPath: file) {
        throw KubernetesError(
          "cannot read \(file): the pod needs its service account token (automountServiceAccountToken)")
      }
      let namespaceFile = "\(serviceAccountDirectory)/namespace"
      let namespace =
        environment["POD_NAMESPACE"]
        ?? FileManager.default.contents(atPath: namespaceFile).map { String(decoding: $0, as: UTF8.self) }
        ?? "default"
      let hostPart = host.contains(":") ? "[\(host)]" : host
      return Configuration(
        baseURL: "https://\(hostPart):\(port)", tokenFile: token, caFile: ca,
        namespace: namespace.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  public let configuration: Configuration
  private let http: HTTPClient
  /// The token, re-read now and then: kubelet rotates bound service-account tokens.
  private let token = Mutex<(value: String, readAt: ContinuousClock.Instant)?>(nil)

  public init(configuration: Configuration) throws(KubernetesError) {
    self.configuration = configuration
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .file(configuration.caFile)
    http = HTTPClient(
      eventLoopGroupProvider: .singleton,
      configuration: HTTPClient.Configuration(
        tlsConfiguration: tls, timeout: .init(connect: .seconds(3), read: .seconds(10))))
  }

  /// Closes the connections; call once when done.
  public func shutdown() async {
    try? await http.shutdown()
  }

  /// A response: status code and body.
  public struct Response: Sendable {
    public var status: Int
    public var body: Data

    public func decode<T: Decodable>(_ type: T.Type) throws(KubernetesError) -> T {
      do {
        return try JSONDecoder().decode(type, from: body)
      } catch {
        throw KubernetesError("unexpected answer from the Kubernetes API: \(error)")
      }
    }

    /// The API's own message for a failure (a `Status` object), or the body.
    public var message: String {
      struct Status: Decodable { var message: String? }
      if let status = try? JSONDecoder().decode(Status.self, from: body), let message = status.message {
        return message
      }
      return String(decoding: body.prefix(300), as: UTF8.self)
    }
  }

  /// The methods the agent uses.
  public enum Method: String, Sendable {
    case GET, POST, PUT
  }

  /// One request; throws only when the API cannot be reached.
  public func send(
    _ method: Method, _ path: String, body: Data? = nil, contentType: String = "application/json"
  )
    async throws(KubernetesError) -> Response
  {
    var request = HTTPClientRequest(url: configuration.baseURL + path)
    request.method = HTTPMethod(rawValue: method.rawValue)
    request.headers.add(name: "Accept", value: "application/json")
    request.headers.add(name: "Authorization", value: "Bearer \(try currentToken())")
    if let body {
      request.headers.add(name: "Content-Type", value: contentType)
      request.body = .bytes(ByteBuffer(bytes: body))
    }
    do {
      let response = try await http.execute(request, timeout: .seconds(10))
      let bytes = try await response.body.collect(upTo: 16 << 20)
      return Response(status: Int(response.status.code), body: Data(bytes.readableBytesView))
    } catch {
      throw KubernetesError("cannot reach the Kubernetes API at \(configuration.baseURL): \(error)")
    }
  }

  private func currentToken() throws(KubernetesError) -> String {
    let now = ContinuousClock.now
    if let cached = token.withLock({ $0 }), now - cached.readAt < .seconds(60) { return cached.value }
    guard let data = FileManager.default.contents(atPath: configuration.tokenFile) else {
      throw KubernetesError("cannot read the service account token \(configuration.tokenFile)")
    }
    let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    token.withLock { $0 = (value, now) }
    return value
  }
}

/// A Kubernetes problem, in one line.
public struct KubernetesError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
