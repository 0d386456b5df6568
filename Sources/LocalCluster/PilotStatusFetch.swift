import AsyncHTTPClient
import EtcdClient
import Foundation
import HTTPEndpoints
import NIOCore
import Pilot

/// Reads a pilot's `/status`; with TLS it presents `tls`'s client certificate, as the pilot's
/// port answers `/status` only to a client of the cluster's CA.
public enum PilotStatusFetch {
  public static func status(
    at pilotURL: String, tls: EtcdClientConfiguration.TLS? = nil, timeout: Duration = .seconds(2)
  ) async -> PilotStatus? {
    let milliseconds = Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    var request = HTTPClientRequest(url: pilotURL + "/status")
    if let tls, let ca = tls.caFile {
      guard
        let configuration = try? HTTPSClientFiles(
          caFile: ca, certificateFile: tls.certificateFile, keyFile: tls.keyFile
        ).configuration()
      else { return nil }
      request.tlsConfiguration = configuration
    }
    guard
      let response = try? await HTTPClient.shared.execute(request, timeout: .milliseconds(milliseconds)),
      let body = try? await response.body.collect(upTo: 1 << 20)
    else { return nil }
    return try? JSONDecoder().decode(PilotStatus.self, from: Data(body.readableBytesView))
  }
}
