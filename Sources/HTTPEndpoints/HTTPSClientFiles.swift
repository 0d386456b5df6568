import NIOSSL

/// The client side of an ``HTTPServer`` with ``HTTPServer/TLSFiles``: the CA its certificate is
/// checked against, and the certificate this client presents (PEM files, read at each call,
/// so a renewed certificate is used from its next request).
public struct HTTPSClientFiles: Sendable, Hashable {
  public var caFile: String
  public var certificateFile: String?
  public var keyFile: String?

  public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
    self.caFile = caFile
    self.certificateFile = certificateFile
    self.keyFile = keyFile
  }

  /// The TLS configuration for one request.
  public func configuration() throws -> TLSConfiguration {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
    if let certificateFile, let keyFile {
      configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
      configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
    }
    return configuration
  }
}
