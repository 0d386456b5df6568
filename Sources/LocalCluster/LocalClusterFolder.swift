import EtcdClient
import Foundation

/// What a local cluster owns in its `--dir`: the files and folders `local up` and the
/// supervisor make there, and a marker file saying the folder is a local cluster's. `up` takes
/// a folder only when it is new, empty or marked; `down --purge` deletes only what it owns, and
/// only in a marked folder. Anything else in the folder is the user's and stays.
public enum LocalClusterFolder {
  /// The marker `up` writes into the folder it takes.
  public static let markerName = ".etcd-pilot-local"

  /// The names a local cluster makes at the top of its folder.
  static let ownedNames: Set<String> = [
    markerName, "local.json", "statefulset.json", "cluster-record.json", "supervisor.log", "supervisor.lock",
    "control.token", "pod-processes.json", "volumes", "logs", "tls", "tls-clients", "auth", "manifest.yaml",
    "kubernetes", "hosts", "pods", "clock",
  ]

  /// Whether `name` at the top of a cluster's folder is the cluster's own (its files'
  /// temporary copies included: `local.json.tmp-123`).
  static func isOwned(_ name: String) -> Bool {
    if ownedNames.contains(name) { return true }
    guard let dot = name.range(of: ".tmp") else { return false }
    return ownedNames.contains(String(name[..<dot.lowerBound]))
  }

  /// The entries of the folder that a local cluster did not make, sorted.
  static func foreignEntries(_ layout: LocalClusterLayout) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: layout.directory)) ?? []).filter { !isOwned($0) }.sorted()
  }

  public static func isMarked(_ layout: LocalClusterLayout) -> Bool {
    FileManager.default.fileExists(atPath: "\(layout.directory)/\(markerName)")
  }

  /// Checks, without changing anything, that `up` may use the folder: missing (its parent
  /// writable), empty, marked, or an older cluster's (its `local.json` and nothing but a
  /// cluster's files).
  public static func checkUsable(_ layout: LocalClusterLayout) throws(LocalClusterError) {
    let manager = FileManager.default
    let path = layout.directory
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
      let parent = (path as NSString).deletingLastPathComponent
      var existing = parent
      while !existing.isEmpty, existing != "/", !manager.fileExists(atPath: existing) {
        existing = (existing as NSString).deletingLastPathComponent
      }
      if manager.fileExists(atPath: existing, isDirectory: &isDirectory), !isDirectory.boolValue {
        throw LocalClusterError("cannot create --dir \(path): \(existing) is a file, not a folder")
      }
      guard access(existing.isEmpty ? "/" : existing, W_OK | X_OK) == 0 else {
        throw LocalClusterError(
          "cannot create --dir \(path): \(FileSystemError("write in", path: existing, errno: errno).reason) in \(existing) for this user (uid \(getuid())); give a folder you may write"
        )
      }
      return
    }
    guard isDirectory.boolValue else {
      throw LocalClusterError("--dir \(path) is a file: give a folder for the cluster, e.g. ./etcd-local")
    }
    guard access(path, R_OK | W_OK | X_OK) == 0 else {
      throw LocalClusterError(
        "--dir \(path): \(FileSystemError("use", path: path, errno: errno).reason) for this user (uid \(getuid())); it belongs to uid \(owner(of: path)), run local commands as that user"
      )
    }
    if isMarked(layout) { return }
    let foreign = foreignEntries(layout)
    let entries = (try? manager.contentsOfDirectory(atPath: path)) ?? []
    if entries.isEmpty { return }
    if foreign.isEmpty, entries.contains("local.json") { return }
    let shown = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? ", …" : "")
    throw LocalClusterError(
      "--dir \(path) is not empty and not a local cluster's folder (it holds \(shown)): give a new or empty folder, e.g. --dir \(path == FileManager.default.currentDirectoryPath ? "./etcd-local" : path + "/etcd-local")"
    )
  }

  /// Takes the folder for a cluster: creates it (0700) if missing, writes the marker, and makes
  /// it private to its owner (the control token and the root password live in it).
  public static func claim(_ layout: LocalClusterLayout) throws(LocalClusterError) {
    try checkUsable(layout)
    do {
      try FileManager.default.createDirectory(
        atPath: layout.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw LocalClusterError(
        FileSystemError("create --dir", path: layout.directory, foundation: error)?.description
          ?? "cannot create --dir \(layout.directory): \(error)")
    }
    guard chmod(layout.directory, 0o700) == 0 else {
      throw LocalClusterError(FileSystemError("make private", path: layout.directory, errno: errno).description)
    }
    if isMarked(layout) { return }
    let text = """
      This folder is an etcd-pilot local cluster's (made by `etcd-pilot local up`).
      `etcd-pilot local down --purge` deletes only what the cluster made here; other files stay.

      """
    // Written in place (no temporary file beside it): another `up` looking at the folder at
    // this moment sees an empty or a marked folder, nothing foreign.
    let marker = "\(layout.directory)/\(markerName)"
    let descriptor = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw LocalClusterError(FileSystemError("write", path: marker, errno: errno).description)
    }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
      throw LocalClusterError(FileSystemError("write", path: marker, errno: errno).description)
    }
  }

  /// What `purge` did.
  public struct Purge: Sendable {
    /// Entries that were not the cluster's and stayed.
    public var kept: [String]
    /// Whether the folder itself was removed (nothing else was in it).
    public var removedFolder: Bool
  }

  /// Throws unless the folder is a cluster's: marked, or an older cluster's (its `local.json`
  /// and nothing a cluster does not make).
  public static func checkPurgeable(_ layout: LocalClusterLayout) throws(LocalClusterError) {
    guard
      isMarked(layout) || (FileManager.default.fileExists(atPath: layout.configFile) && foreignEntries(layout).isEmpty)
    else {
      throw LocalClusterError("\(layout.directory) is not a local cluster's folder (no \(markerName)): nothing deleted")
    }
  }

  /// Deletes what the cluster made in its folder, and the folder when nothing else is in it.
  /// Refuses a folder without the marker. The caller makes sure no process of the cluster runs.
  public static func purge(_ layout: LocalClusterLayout) throws(LocalClusterError) -> Purge {
    let manager = FileManager.default
    try checkPurgeable(layout)
    let entries = (try? manager.contentsOfDirectory(atPath: layout.directory)) ?? []
    // The marker last: a purge cut short can be run again.
    let owned =
      entries.filter { isOwned($0) && $0 != markerName }.sorted() + (entries.contains(markerName) ? [markerName] : [])
    for name in owned {
      let path = "\(layout.directory)/\(name)"
      do {
        try manager.removeItem(atPath: path)
      } catch {
        throw LocalClusterError(
          FileSystemError("delete", path: path, foundation: error)?.description ?? "cannot delete \(path): \(error)")
      }
    }
    let kept = foreignEntries(layout)
    if kept.isEmpty, rmdir(layout.directory) == 0 { return Purge(kept: [], removedFolder: true) }
    return Purge(kept: kept, removedFolder: false)
  }

  static func owner(of path: String) -> uid_t {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_uid : 0
  }
}
