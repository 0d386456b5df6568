import AsyncHTTPClient
import Foundation
import NIOCore
import Pilot

/// Reads a pilot's `/status`.
public enum PilotStatusFetch {
  public static func status(at pilotURL: String, timeout: Duration = .seconds(2)) async -> PilotStatus? {
    let milliseconds = Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    guard
      let response = try? await HTTPClient.shared.execute(
        HTTPClientRequest(url: pilotURL + "/status"), timeout: .milliseconds(milliseconds)),
      let body = try? await response.body.collect(upTo: 1 << 20)
    else { return nil }
    return try? JSONDecoder().decode(PilotStatus.self, from: Data(body.readableBytesView))
  }
}
