import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A Secret volume laid out as the kubelet lays it out: the files in a timestamped directory,
/// `..data` a symlink to it, each key a symlink `key → ..data/key`. Writing again replaces
/// `..data` in one rename: a reader sees all old files or all new ones (what cert-manager
/// renewals look like inside a pod).
public enum SecretVolume {
  public static func write(
    _ values: [String: Data], to directory: String, mode: Int = 0o644, owner: (uid_t, gid_t)? = nil
  ) throws {
    let manager = FileManager.default
    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let stamp = "..\(Int(Date().timeIntervalSince1970 * 1000))-\(UInt32.random(in: 0...UInt32.max))"
    let version = "\(directory)/\(stamp)"
    try manager.createDirectory(atPath: version, withIntermediateDirectories: false)
    for (key, value) in values {
      let path = "\(version)/\(key)"
      guard manager.createFile(atPath: path, contents: value, attributes: [.posixPermissions: mode]) else {
        throw LocalClusterError("cannot write the Secret file \(path)")
      }
      if let owner { _ = chown(path, owner.0, owner.1) }
    }
    let previous = try? manager.destinationOfSymbolicLink(atPath: "\(directory)/..data")
    let link = "\(directory)/..data_tmp"
    try? manager.removeItem(atPath: link)
    try manager.createSymbolicLink(atPath: link, withDestinationPath: stamp)
    guard rename(link, "\(directory)/..data") == 0 else {
      throw LocalClusterError("cannot switch \(directory)/..data to the new Secret files")
    }
    for key in values.keys where (try? manager.destinationOfSymbolicLink(atPath: "\(directory)/\(key)")) == nil {
      try? manager.removeItem(atPath: "\(directory)/\(key)")
      try manager.createSymbolicLink(atPath: "\(directory)/\(key)", withDestinationPath: "..data/\(key)")
    }
    if let previous, previous != stamp { try? manager.removeItem(atPath: "\(directory)/\(previous)") }
  }
}
