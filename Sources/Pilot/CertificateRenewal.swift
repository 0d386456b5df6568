import EtcdClient
import Foundation
import Logging
import PKI

/// Keeps the pod's certificate fresh while the pilot runs.
///
/// A certificate the pilot issued is renewed at its renewal point (two thirds of its lifetime by
/// default) by replacing the file etcd reads — etcd loads it on every new handshake, so nothing
/// restarts. Certificates someone else keeps (cert-manager) are watched for changes. Either way
/// the pilot's own client then makes new connections, which read the new files.
struct CertificateRenewal: Sendable {
  let tls: PilotTLS
  let certificate: MemberCertificate?
  let logger: Logger

  func run(_ client: EtcdClient) async {
    if var certificate {
      await renewing(&certificate, client)
    } else {
      await watching(client)
    }
  }

  private func renewing(_ certificate: inout MemberCertificate, _ client: EtcdClient) async {
    var nextAttempt = certificate.renewalDue
    while !Task.isCancelled {
      let wait = nextAttempt.timeIntervalSinceNow
      if wait > 0 {
        do { try await Task.sleep(for: .milliseconds(Int64(min(wait, 3600) * 1000))) } catch { return }
        continue
      }
      do {
        try certificate.renew()
        client.reloadCertificates()
        logger.info(
          "renewed this member's certificate: valid until \(certificate.current.notValidAfter); next renewal due \(certificate.renewalDue)"
        )
        nextAttempt = certificate.renewalDue
      } catch {
        // Try again soon, well before the current certificate expires.
        let remaining = certificate.current.notValidAfter.timeIntervalSinceNow
        let retry = max(1, min(60, remaining / 10))
        logger.warning("cannot renew this member's certificate: \(error); trying again in \(Int(retry)) s")
        nextAttempt = Date().addingTimeInterval(retry)
      }
    }
  }

  private func watching(_ client: EtcdClient) async {
    var last = fingerprint()
    while !Task.isCancelled {
      do { try await Task.sleep(for: .seconds(5)) } catch { return }
      let now = fingerprint()
      if now != last {
        last = now
        client.reloadCertificates()
        logger.info("the certificate files changed (\(tls.certificateFile)); new connections use them")
      }
    }
  }

  /// The files' contents: mounted Secrets change by swapping a symlink, so compare contents.
  private func fingerprint() -> [Data?] {
    ([tls.certificateFile, tls.keyFile, tls.caFile]
      + (tls.clients.map { [$0.caFile, $0.certificateFile, $0.keyFile] } ?? []))
      .map { FileManager.default.contents(atPath: $0) }
  }
}
