import CoreFoundation
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads on the pod's volume that tell "absent" from "cannot be read": a directory that is not
/// there is empty, one the pilot may not read (another owner, a wrong fsGroup) or that fails
/// (I/O) is an error naming the path, its owner and mode, and the pilot's own user.
enum VolumeFiles {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// The names in `directory`; `nil` when it does not exist.
  static func list(_ directory: String, purpose: String) throws(Failure) -> [String]? {
    guard let handle = opendir(directory) else {
      let code = errno
      if code == ENOENT { return nil }
      throw failure(code, path: directory, doing: "list \(purpose) in")
    }
    defer { closedir(handle) }
    var names: [String] = []
    errno = 0
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
      errno = 0
    }
    if errno != 0 { throw failure(errno, path: directory, doing: "list \(purpose) in") }
    return names
  }

  /// The contents of `path`; `nil` when it does not exist.
  static func contents(_ path: String, purpose: String) throws(Failure) -> Data? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      if code == ENOENT { return nil }
      throw failure(code, path: path, doing: "read \(purpose)")
    }
    defer { close(descriptor) }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = Glibc.read(descriptor, &buffer, buffer.count)
      if count < 0 {
        if errno == EINTR { continue }
        throw failure(errno, path: path, doing: "read \(purpose)")
      }
      if count == 0 { return data }
      data.append(contentsOf: buffer[0..<count])
    }
  }

  /// Up to `limit` bytes from the start of `path`.
  static func read(_ path: String, upTo limit: Int) throws(Failure) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(errno, path: path, doing: "read") }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: limit)
    var filled = 0
    while filled < limit {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, limit - filled) }
      if count < 0 {
        if errno == EINTR { continue }
        throw failure(errno, path: path, doing: "read")
      }
      if count == 0 { break }
      filled += count
    }
    return Array(buffer[0..<filled])
  }

  /// Bytes the files under `path` take on disk (preallocated WAL segments count in full).
  static func bytes(under path: String) -> Int64 {
    var total: Int64 = 0
    let enumerator = FileManager.default.enumerator(atPath: path)
    while let item = enumerator?.nextObject() as? String {
      var info = Glibc.stat()
      if lstat("\(path)/\(item)", &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
        total += Int64(info.st_blocks) * 512
      }
    }
    return total
  }

  /// One line: what failed, on which path, why, and who owns it.
  static func failure(_ code: Int32, path: String, doing what: String) -> Failure {
    var owner = ""
    var info = Glibc.stat()
    if stat(path, &info) == 0 {
      owner = String(
        format: " (owned by uid %d gid %d, mode %04o; the pilot runs as uid %d)", info.st_uid, info.st_gid,
        info.st_mode & 0o7777, geteuid())
    } else {
      owner = " (the pilot runs as uid \(geteuid()))"
    }
    let advice =
      code == EACCES || code == EPERM
      ? ": give the pilot's user access to the volume (in Kubernetes, the pod's fsGroup)"
      : ": check the volume and its disk"
    return Failure(
      description: "cannot \(what) \(path): \(String(cString: strerror(code)))\(owner)\(advice); nothing was changed")
  }
}
