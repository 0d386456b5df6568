import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#endif

/// A certificate authority that issues the certificates etcd needs: serving and peer
/// certificates for members, client certificates for people and programs.
///
/// Keys are ECDSA P-256. Everything is PEM, as etcd's `--cert-file`, `--key-file` and
/// `--trusted-ca-file` take it.
public struct CertificateAuthority: Sendable {
  public let certificate: Certificate
  let key: P256.Signing.PrivateKey

  /// How far certificates start before they are issued, in seconds: nodes' clocks differ (the
  /// pods of a StatefulSet run on different nodes), and a certificate "not yet valid" on a peer
  /// whose clock is behind cuts that peer off. An hour covers any skew a cluster survives
  /// otherwise (Kubernetes' own signer backdates five minutes).
  public static let backdating: Double = 3600

  /// Creates a new self-signed CA.
  public static func create(
    commonName: String = "etcd-pilot CA", validity: Duration = .seconds(10 * 365 * 86400), now: Date = Date()
  ) throws(PKIError) -> CertificateAuthority {
    let key = P256.Signing.PrivateKey()
    do {
      let name = try DistinguishedName {
        OrganizationName("etcd-pilot")
        CommonName(commonName)
      }
      let certificate = try Certificate(
        version: .v3,
        serialNumber: Certificate.SerialNumber(),
        publicKey: .init(key.publicKey),
        // Backdated an hour: a node whose clock is behind the issuer's still trusts it.
        notValidBefore: now.addingTimeInterval(-CertificateAuthority.backdating),
        notValidAfter: now.addingTimeInterval(validity.seconds),
        issuer: name,
        subject: name,
        signatureAlgorithm: .ecdsaWithSHA256,
        extensions: try Certificate.Extensions {
          Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
          Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
          SubjectKeyIdentifier(hash: .init(key.publicKey))
        },
        issuerPrivateKey: .init(key))
      return CertificateAuthority(certificate: certificate, key: key)
    } catch {
      throw PKIError("cannot create the CA certificate: \(error)")
    }
  }

  /// Loads a CA from its PEM certificate and P-256 private key.
  public init(certificatePEM: String, keyPEM: String) throws(PKIError) {
    do {
      certificate = try Certificate(pemEncoded: certificatePEM)
    } catch {
      throw PKIError("the CA certificate is not a PEM certificate: \(error)")
    }
    do {
      key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
    } catch {
      throw PKIError("the CA key is not a PEM ECDSA P-256 private key: \(error)")
    }
    guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
      throw PKIError("the CA key does not belong to the CA certificate")
    }
  }

  init(certificate: Certificate, key: P256.Signing.PrivateKey) {
    self.certificate = certificate
    self.key = key
  }

  /// What a certificate is for.
  public struct Usage: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// TLS server: etcd's client and peer listeners.
    public static let server = Usage(rawValue: 1)
    /// TLS client: etcd dialing peers, etcd-pilot, etcdctl, applications.
    public static let client = Usage(rawValue: 2)
  }

  /// Issues a certificate for `commonName` with the given names and addresses as SANs.
  public func issue(
    commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], usage: Usage,
    validity: Duration = .seconds(365 * 86400), now: Date = Date(), notBefore: Date? = nil
  ) throws(PKIError) -> IssuedCertificate {
    let subject: DistinguishedName
    do {
      subject = try DistinguishedName {
        OrganizationName("etcd-pilot")
        CommonName(commonName)
      }
    } catch {
      throw PKIError("'\(commonName)' is not a certificate name: \(error)")
    }
    return try issue(
      key: P256.Signing.PrivateKey(), subject: subject, dnsNames: dnsNames, ipAddresses: ipAddresses,
      usage: usage, validity: validity, now: now, notBefore: notBefore)
  }

  /// A new certificate for the key and names of `issued`, valid for `validity` from `now`.
  ///
  /// The key stays the same on purpose: a reader that loads the certificate file and then the
  /// key file while they are being replaced still gets a matching pair (etcd reads both on each
  /// handshake).
  public func renew(
    _ issued: IssuedCertificate, validity: Duration, now: Date = Date()
  ) throws(PKIError) -> IssuedCertificate {
    let names = (try? issued.certificate.extensions.subjectAlternativeNames) ?? nil
    var dnsNames: [String] = []
    var ipAddresses: [String] = []
    for name in names ?? SubjectAlternativeNames([]) {
      switch name {
      case .dnsName(let dns): dnsNames.append(dns)
      case .ipAddress(let bytes): ipAddresses.append(IPAddressBytes.text(Array(bytes.bytes)))
      default: break
      }
    }
    let usages = (try? issued.certificate.extensions.extendedKeyUsage) ?? nil
    var usage: Usage = []
    if usages?.contains(.serverAuth) == true { usage.insert(.server) }
    if usages?.contains(.clientAuth) == true { usage.insert(.client) }
    return try issue(
      key: issued.key, subject: issued.certificate.subject, dnsNames: dnsNames, ipAddresses: ipAddresses,
      usage: usage, validity: validity, now: now, notBefore: nil)
  }

  private func issue(
    key leafKey: P256.Signing.PrivateKey, subject: DistinguishedName, dnsNames: [String], ipAddresses: [String],
    usage: Usage,
    validity: Duration, now: Date, notBefore: Date?
  ) throws(PKIError) -> IssuedCertificate {
    var names: [GeneralName] = dnsNames.map { .dnsName($0) }
    for address in ipAddresses {
      guard let bytes = IPAddressBytes.parse(address) else {
        throw PKIError("'\(address)' is not an IPv4 or IPv6 address")
      }
      names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
    }
    var purposes: [ExtendedKeyUsage.Usage] = []
    if usage.contains(.server) { purposes.append(.serverAuth) }
    if usage.contains(.client) { purposes.append(.clientAuth) }
    do {
      let sanNames = names
      let extendedUsage = try ExtendedKeyUsage(purposes)
      let certificate = try Certificate(
        version: .v3,
        serialNumber: Certificate.SerialNumber(),
        publicKey: .init(leafKey.publicKey),
        // Backdated for clocks behind the issuer's (a pilot issues its own certificate, on its
        // node's clock), but never by more than a tenth of the lifetime (short-lived
        // certificates in tests).
        notValidBefore: notBefore
          ?? now.addingTimeInterval(-min(CertificateAuthority.backdating, validity.seconds / 10)),
        notValidAfter: now.addingTimeInterval(validity.seconds),
        issuer: self.certificate.subject,
        subject: subject,
        signatureAlgorithm: .ecdsaWithSHA256,
        extensions: try Certificate.Extensions {
          Critical(BasicConstraints.notCertificateAuthority)
          Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
          extendedUsage
          if !sanNames.isEmpty { SubjectAlternativeNames(sanNames) }
          AuthorityKeyIdentifier(keyIdentifier: try? self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        },
        issuerPrivateKey: .init(key))
      return IssuedCertificate(certificate: certificate, key: leafKey)
    } catch {
      throw PKIError("cannot issue a certificate for \(subject): \(error)")
    }
  }

  /// The CA certificate as PEM.
  public var certificatePEM: String {
    get throws(PKIError) { try IssuedCertificate.pem(certificate) }
  }

  /// When the CA stops being valid.
  public var notValidAfter: Date { certificate.notValidAfter }

  /// The CA key as PEM (PKCS#8).
  public var keyPEM: String { key.pemRepresentation }
}

/// A certificate and its private key.
public struct IssuedCertificate: Sendable {
  public let certificate: Certificate
  let key: P256.Signing.PrivateKey

  public var certificatePEM: String {
    get throws(PKIError) { try Self.pem(certificate) }
  }

  public var keyPEM: String { key.pemRepresentation }

  /// When the certificate stops being valid.
  public var notValidAfter: Date { certificate.notValidAfter }
  public var notValidBefore: Date { certificate.notValidBefore }

  /// Reads `<name>.crt` and `<name>.key` from `directory`.
  public static func read(from directory: String, name: String) throws(PKIError) -> IssuedCertificate {
    let certificate: Certificate
    do {
      certificate = try Certificate(pemEncoded: try PEMFile.read("\(directory)/\(name).crt"))
    } catch let error as PKIError {
      throw error
    } catch {
      throw PKIError("\(directory)/\(name).crt is not a PEM certificate: \(error)")
    }
    do {
      return IssuedCertificate(
        certificate: certificate,
        key: try P256.Signing.PrivateKey(pemRepresentation: try PEMFile.read("\(directory)/\(name).key")))
    } catch let error as PKIError {
      throw error
    } catch {
      throw PKIError("\(directory)/\(name).key is not a PEM ECDSA P-256 private key: \(error)")
    }
  }

  static func pem(_ certificate: Certificate) throws(PKIError) -> String {
    do {
      return try certificate.serializeAsPEM().pemString
    } catch {
      throw PKIError("cannot encode a certificate as PEM: \(error)")
    }
  }

  /// Writes `<name>.crt` and `<name>.key` (mode 0600) into `directory`, replacing each file in
  /// one rename so a reader never sees half a file. Without `replacing`, existing files are
  /// never touched: the key is written first, and a name already taken stops the write.
  public func write(to directory: String, name: String, replacing: Bool = true) throws(PKIError) {
    try PEMFile.write(keyPEM, to: "\(directory)/\(name).key", private: true, replacing: replacing)
    do {
      try PEMFile.write(try certificatePEM, to: "\(directory)/\(name).crt", private: false, replacing: replacing)
    } catch {
      // A key without its certificate is of no use to anyone: the one just written goes.
      if !replacing { unlink("\(directory)/\(name).key") }
      throw error
    }
  }

  /// Replaces only `<name>.crt` (a renewal for the same key).
  public func writeCertificate(to directory: String, name: String) throws(PKIError) {
    try PEMFile.write(try certificatePEM, to: "\(directory)/\(name).crt", private: false)
  }
}

extension CertificateAuthority {
  /// Writes `ca.crt` and, when `includeKey`, `ca.key` into `directory`. Without `replacing`,
  /// existing files are never touched (a `ca.key` lost is a CA lost).
  public func write(to directory: String, includeKey: Bool, replacing: Bool = true) throws(PKIError) {
    if includeKey { try PEMFile.write(keyPEM, to: "\(directory)/ca.key", private: true, replacing: replacing) }
    try PEMFile.write(try certificatePEM, to: "\(directory)/ca.crt", private: false, replacing: replacing)
  }

  /// Writes only the CA's certificate as `<name>.crt` (for those who trust it, not issue from it).
  public func writeCertificate(to directory: String, named name: String) throws(PKIError) {
    try PEMFile.write(try certificatePEM, to: "\(directory)/\(name).crt", private: false)
  }

  /// The CA kept in `directory`, created there (`ca.crt`, `ca.key`) the first time.
  public static func readOrCreate(in directory: String, commonName: String) throws(PKIError) -> CertificateAuthority {
    if FileManager.default.fileExists(atPath: "\(directory)/ca.key") { return try read(from: directory) }
    let authority = try create(commonName: commonName)
    try authority.write(to: directory, includeKey: true)
    return authority
  }

  /// Reads `ca.crt` and `ca.key` from `directory`.
  public static func read(from directory: String) throws(PKIError) -> CertificateAuthority {
    try CertificateAuthority(
      certificatePEM: try PEMFile.read("\(directory)/ca.crt"), keyPEM: try PEMFile.read("\(directory)/ca.key"))
  }
}

/// A problem with certificates or keys, said in one line.
public struct PKIError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

enum PEMFile {
  /// Writes `text` to `path` through a temporary file, so a reader never sees half a file.
  /// Without `replacing`, an existing `path` (a file, or a link to one) is never touched: the
  /// new file is linked into place, which fails if the name is taken.
  static func write(_ text: String, to path: String, private isPrivate: Bool, replacing: Bool = true) throws(PKIError) {
    let temporary = path + ".tmp"
    unlink(temporary)
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, isPrivate ? 0o600 : 0o644)
    guard descriptor >= 0 else { throw PKIError("cannot write \(temporary): \(reason(errno))") }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    let writeError = errno
    // The mode asked for, whatever the umask.
    fchmod(descriptor, isPrivate ? 0o600 : 0o644)
    close(descriptor)
    guard written == bytes.count else {
      unlink(temporary)
      throw PKIError("cannot write \(temporary): \(reason(written < 0 ? writeError : ENOSPC))")
    }
    if replacing {
      guard rename(temporary, path) == 0 else {
        let error = errno
        unlink(temporary)
        throw PKIError("cannot move \(temporary) to \(path): \(reason(error))")
      }
      return
    }
    defer { unlink(temporary) }
    guard link(temporary, path) == 0 else {
      let error = errno
      if error == EEXIST { throw PKIError("\(path) exists: it is kept") }
      throw PKIError("cannot write \(path): \(reason(error))")
    }
  }

  static func read(_ path: String) throws(PKIError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PKIError("cannot read \(path): check the path and its permissions")
    }
    return String(decoding: data, as: UTF8.self)
  }

  static func reason(_ code: Int32) -> String { String(cString: strerror(code)).lowercased() }
}

enum IPAddressBytes {
  static func text(_ bytes: [UInt8]) -> String {
    if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
    var address = in6_addr()
    guard bytes.count == 16 else { return "" }
    withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func parse(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      return withUnsafeBytes(of: v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
      return withUnsafeBytes(of: v6) { Array($0) }
    }
    return nil
  }
}

extension Duration {
  var seconds: TimeInterval {
    let (seconds, attoseconds) = components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
  }
}
