import Foundation
import SwiftASN1
import X509

/// When a certificate file's certificate may be used: for tools that check a client
/// certificate before a handshake would refuse it without saying why.
public enum CertificateValidity {
  /// The validity period of the first certificate in the PEM file at `path`.
  public static func of(file path: String) throws(PKIError) -> ClosedRange<Date> {
    let text = try PEMFile.read(path)
    do {
      let certificate = try Certificate(pemEncoded: text)
      return certificate.notValidBefore...max(certificate.notValidBefore, certificate.notValidAfter)
    } catch {
      throw PKIError("\(path) is not a PEM certificate: \(error)")
    }
  }
}
