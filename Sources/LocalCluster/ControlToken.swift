import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The secret every request to a supervisor's control API carries (`Authorization: Bearer`):
/// made anew by each supervisor, kept in `<dir>/control.token` readable by its owner only
/// (0600, in a 0700 folder). The control port is on loopback, where every local user can
/// connect; only the cluster's owner can read the token.
public struct ControlToken: Sendable, Hashable {
  public let value: String

  /// A new random token, written to the cluster's token file.
  static func create(_ layout: LocalClusterLayout) throws(LocalClusterError) -> ControlToken {
    var generator = SystemRandomNumberGenerator()
    let value = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    let path = layout.controlTokenFile
    let temporary = path + ".tmp"
    unlink(temporary)
    guard
      FileManager.default.createFile(
        atPath: temporary, contents: Data(value.utf8), attributes: [.posixPermissions: 0o600]),
      chmod(temporary, 0o600) == 0, rename(temporary, path) == 0
    else {
      throw LocalClusterError("cannot write the control token \(path): check the folder's permissions")
    }
    return ControlToken(value: value)
  }

  /// The token of the supervisor running for `layout`.
  static func read(_ layout: LocalClusterLayout) throws(LocalClusterError) -> ControlToken {
    let path = layout.controlTokenFile
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LocalClusterError(
        "cannot read the control token \(path): only the user who started the cluster (uid \(LocalClusterFolder.owner(of: layout.directory))) may control it"
      )
    }
    return ControlToken(value: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// Whether an `Authorization` header carries this token (compared in constant time).
  func authorizes(_ header: String?) -> Bool {
    guard let header, header.hasPrefix("Bearer ") else { return false }
    let given = Array(header.dropFirst("Bearer ".count).utf8)
    let expected = Array(value.utf8)
    guard given.count == expected.count else { return false }
    return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
  }
}
