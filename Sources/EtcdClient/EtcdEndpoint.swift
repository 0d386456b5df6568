import Foundation

/// One etcd client URL: `http://host:port` or `https://host:port`.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible, Comparable {
  public enum Scheme: String, Sendable, Hashable {
    case http
    case https
  }

  public var scheme: Scheme
  public var host: String
  public var port: Int

  public init(scheme: Scheme = .http, host: String, port: Int = 2379) {
    self.scheme = scheme
    self.host = host
    self.port = port
  }

  /// Parses `http://127.0.0.1:2379`, `https://etcd-0.etcd:2379`, `[::1]:2379` or `host:port`
  /// (plain `http`, as etcdctl does). A missing port means 2379.
  public init(parsing text: String) throws(EtcdError) {
    var rest = Substring(text.trimmingSpaces())
    var scheme = Scheme.http
    if let range = rest.range(of: "://") {
      let name = rest[..<range.lowerBound].lowercased()
      guard let parsed = Scheme(rawValue: name) else {
        throw EtcdError(
          .invalidConfiguration,
          "malformed endpoint '\(text)': scheme '\(name)' is not http or https",
          endpoint: text)
      }
      scheme = parsed
      rest = rest[range.upperBound...]
    }
    if rest.hasSuffix("/") { rest = rest.dropLast() }
    guard !rest.isEmpty, !rest.contains("/") else {
      throw EtcdError(
        .invalidConfiguration, "malformed endpoint '\(text)': expected scheme://host:port",
        endpoint: text)
    }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        throw EtcdError(
          .invalidConfiguration, "malformed endpoint '\(text)': unclosed '[' in IPv6 address",
          endpoint: text)
      }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let after = rest[rest.index(after: close)...]
      if after.hasPrefix(":") {
        portText = after.dropFirst()
      } else if !after.isEmpty {
        throw EtcdError(
          .invalidConfiguration, "malformed endpoint '\(text)': unexpected '\(after)'",
          endpoint: text)
      }
    } else if let colon = rest.lastIndex(of: ":") {
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    } else {
      host = rest
    }
    var port = 2379
    if let portText {
      guard let value = Int(portText), (1...65535).contains(value) else {
        throw EtcdError(
          .invalidConfiguration,
          "malformed endpoint '\(text)': port '\(portText)' is not a number from 1 to 65535",
          endpoint: text)
      }
      port = value
    }
    guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" }) else {
      throw EtcdError(
        .invalidConfiguration, "malformed endpoint '\(text)': missing or invalid host",
        endpoint: text)
    }
    self.init(scheme: scheme, host: String(host), port: port)
  }

  /// Parses a comma-separated list, as `--endpoints` takes it.
  public static func parseList(_ text: String) throws(EtcdError) -> [EtcdEndpoint] {
    let parts = text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    guard !parts.isEmpty else {
      throw EtcdError(.invalidConfiguration, "no endpoints given: pass --endpoints http://host:2379")
    }
    var result: [EtcdEndpoint] = []
    for part in parts { result.append(try EtcdEndpoint(parsing: part)) }
    return result
  }

  /// True when `host` is an IPv4 or IPv6 literal rather than a name to resolve.
  public var hostIsIPAddress: Bool {
    if host.contains(":") { return true }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
  }

  public var description: String {
    host.contains(":") ? "\(scheme.rawValue)://[\(host)]:\(port)" : "\(scheme.rawValue)://\(host):\(port)"
  }

  public static func < (lhs: EtcdEndpoint, rhs: EtcdEndpoint) -> Bool {
    lhs.description < rhs.description
  }
}

extension String {
  func trimmingSpaces() -> String {
    var view = Substring(self)
    while let first = view.first, first.isWhitespace { view = view.dropFirst() }
    while let last = view.last, last.isWhitespace { view = view.dropLast() }
    return String(view)
  }
}
