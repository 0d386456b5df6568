import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A request as the handlers see it.
public struct HTTPRequest: Sendable {
  public var method: String
  /// The path without the query.
  public var path: String
  /// Query parameters, last value wins.
  public var query: [String: String]
  public var headers: [(String, String)]
  public var body: [UInt8]
  /// True when the connection presented a client certificate that the server's client CA
  /// verified (HTTPS with ``HTTPServer/TLSFiles/clientCAFiles`` only).
  public var hasVerifiedClientCertificate = false

  public func header(_ name: String) -> String? {
    headers.last { $0.0.lowercased() == name.lowercased() }?.1
  }
}

/// A response: status, content type and body.
public struct HTTPResponse: Sendable {
  public var status: Int
  public var contentType: String
  public var body: [UInt8]

  public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
    self.status = status
    self.contentType = contentType
    self.body = body
  }

  public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
    HTTPResponse(status: status, body: Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
  }

  public static func json(_ bytes: [UInt8], status: Int = 200) -> HTTPResponse {
    HTTPResponse(status: status, contentType: "application/json", body: bytes)
  }
}

/// A small HTTP/1.1 server for the pilot's endpoints and the local StatefulSet's control API:
/// one request per connection, handlers are async functions.
///
/// A connection must deliver its request head within ``Timeouts/header`` and then never go
/// quiet for longer than ``Timeouts/idle`` until the request ends; otherwise it is closed. A
/// client that sends half a request and waits would otherwise hold its connection (and a task)
/// forever, and enough of them would exhaust the server.
public struct HTTPServer: Sendable {
  public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

  /// How long a connection may take to send its request.
  public struct Timeouts: Sendable, Hashable {
    /// From accepting the connection to the end of the request head.
    public var header: Duration
    /// The longest pause between parts of the request after its head.
    public var idle: Duration

    public init(header: Duration = .seconds(10), idle: Duration = .seconds(10)) {
      self.header = header
      self.idle = idle
    }
  }

  private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
  private let timeouts: Timeouts

  /// The port actually bound (useful with port 0).
  public let port: Int

  /// Certificate and key files (PEM) for serving HTTPS.
  public struct TLSFiles: Sendable, Hashable {
    public var certificateFile: String
    public var keyFile: String
    /// The CAs whose client certificates are verified (none: none asked for). A client may
    /// present none (a kubelet's probe does not), so the handler decides per request what needs
    /// one (``HTTPRequest/hasVerifiedClientCertificate``); a certificate that does not verify
    /// ends the handshake.
    public var clientCAFiles: [String]

    public init(certificateFile: String, keyFile: String, clientCAFiles: [String] = []) {
      self.certificateFile = certificateFile
      self.keyFile = keyFile
      self.clientCAFiles = clientCAFiles
    }
  }

  /// Binds `host:port` (HTTPS with `tls`); call ``serve(_:)`` to answer requests. The files are
  /// read again when they change (a renewed certificate is served from its next connection).
  public static func bind(
    host: String, port: Int, tls: TLSFiles? = nil, timeouts: Timeouts = .init()
  ) async throws -> HTTPServer {
    let contexts = try tls.map { try TLSContexts(files: $0) }
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .bind(host: host, port: port) { child in
        child.eventLoop.makeCompletedFuture {
          if let contexts {
            try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: contexts.current()))
          }
          try child.pipeline.syncOperations.configureHTTPServerPipeline()
          return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
        }
      }
    return HTTPServer(channel: channel, port: channel.channel.localAddress?.port ?? port, timeouts: timeouts)
  }

  private init(
    channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>, port: Int,
    timeouts: Timeouts
  ) {
    self.channel = channel
    self.port = port
    self.timeouts = timeouts
  }

  /// Answers requests with `handler` until the calling task is cancelled.
  public func serve(_ handler: @escaping Handler) async throws {
    try await withTaskCancellationHandler {
      try await withThrowingDiscardingTaskGroup { group in
        try await channel.executeThenClose { connections in
          for try await connection in connections {
            group.addTask { [timeouts] in await Self.answer(connection, with: handler, timeouts: timeouts) }
          }
        }
      }
    } onCancel: {
      channel.channel.close(promise: nil)
    }
  }

  private static func answer(
    _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, with handler: Handler,
    timeouts: Timeouts
  ) async {
    // Closing the channel ends the read below: the watchdog closes it once the request is late.
    let deadline = Mutex(ContinuousClock.now + timeouts.header)
    let watchdog = Task {
      while !Task.isCancelled {
        let due = deadline.withLock { $0 }
        if ContinuousClock.now >= due {
          connection.channel.close(promise: nil)
          return
        }
        try? await Task.sleep(until: due, clock: .continuous)
      }
    }
    defer { watchdog.cancel() }
    try? await connection.executeThenClose { inbound, outbound in
      var head: HTTPRequestHead?
      var body: [UInt8] = []
      for try await part in inbound {
        switch part {
        case .head(let value):
          head = value
          deadline.withLock { $0 = .now + timeouts.idle }
        case .body(var buffer):
          body += buffer.readBytes(length: buffer.readableBytes) ?? []
          deadline.withLock { $0 = .now + timeouts.idle }
        case .end:
          watchdog.cancel()
          guard let head else { return }
          var request = Self.request(head, body: body)
          // The handshake is over once a request arrived; with verification on, a certificate
          // the client presented has been verified.
          let presented = try? await connection.channel.nioSSL_peerCertificate().get()
          request.hasVerifiedClientCertificate = presented != nil
          let response = await handler(request)
          var headers = HTTPHeaders()
          headers.add(name: "Content-Type", value: response.contentType)
          headers.add(name: "Content-Length", value: String(response.body.count))
          headers.add(name: "Connection", value: "close")
          try await outbound.write(
            .head(
              HTTPResponseHead(
                version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
          try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
          try await outbound.write(.end(nil))
          return
        }
      }
    }
  }

  private static func request(_ head: HTTPRequestHead, body: [UInt8]) -> HTTPRequest {
    let parts = head.uri.split(separator: "?", maxSplits: 1)
    var query: [String: String] = [:]
    if parts.count == 2 {
      for pair in parts[1].split(separator: "&") {
        let keyValue = pair.split(separator: "=", maxSplits: 1)
        let key = String(keyValue[0]).removingPercentEncodingSafely
        query[key] = keyValue.count == 2 ? String(keyValue[1]).removingPercentEncodingSafely : ""
      }
    }
    return HTTPRequest(
      method: head.method.rawValue, path: parts.first.map(String.init) ?? "/", query: query,
      headers: head.headers.map { ($0.name, $0.value) }, body: body)
  }
}

extension String {
  /// Decodes `%XX` and `+` in a query component; invalid escapes stay as they are.
  var removingPercentEncodingSafely: String {
    var bytes: [UInt8] = []
    var iterator = Array(utf8)[...]
    while let byte = iterator.popFirst() {
      if byte == UInt8(ascii: "%"), iterator.count >= 2,
        let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(value)
        iterator = iterator.dropFirst(2)
      } else if byte == UInt8(ascii: "+") {
        bytes.append(UInt8(ascii: " "))
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// The TLS context of a server, made again when its files change: certificates are renewed in
/// place (by the pilot, or by the kubelet from cert-manager's Secret) while the server runs.
final class TLSContexts: Sendable {
  private struct Made {
    var stamp: [Data?]
    var context: NIOSSLContext
  }

  let files: HTTPServer.TLSFiles
  private let made: Mutex<Made>

  init(files: HTTPServer.TLSFiles) throws {
    self.files = files
    made = Mutex(Made(stamp: Self.stamp(files), context: try Self.context(files)))
  }

  /// The context for a new connection; a file that changed but cannot be read yet (written
  /// half) leaves the previous context in use. It reads a few small local files on the event
  /// loop, once per connection: the pilot's port takes a probe every few seconds and a peer's
  /// request every second at most, so that is cheaper than a watcher task.
  func current() -> NIOSSLContext {
    let stamp = Self.stamp(files)
    return made.withLock { made in
      if made.stamp != stamp, let fresh = try? Self.context(files) { made = Made(stamp: stamp, context: fresh) }
      return made.context
    }
  }

  /// The files' contents: a mounted Secret changes by swapping a symlink above the file, which
  /// leaves the file's own link and its times as they were.
  private static func stamp(_ files: HTTPServer.TLSFiles) -> [Data?] {
    ([files.certificateFile, files.keyFile] + files.clientCAFiles).map { FileManager.default.contents(atPath: $0) }
  }

  private static func context(_ files: HTTPServer.TLSFiles) throws -> NIOSSLContext {
    var configuration = TLSConfiguration.makeServerConfiguration(
      certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateFile).map { .certificate($0) },
      // By bytes, not by path: NIOSSL guesses a key file's format from its extension and takes
      // `.key` for DER.
      privateKey: .privateKey(try NIOSSLPrivateKey(file: files.keyFile, format: .pem)))
    if !files.clientCAFiles.isEmpty {
      configuration.trustRoots = .certificates(
        try files.clientCAFiles.flatMap { try NIOSSLCertificate.fromPEMFile($0) })
      configuration.certificateVerification = .optionalVerification
    }
    return try NIOSSLContext(configuration: configuration)
  }
}
