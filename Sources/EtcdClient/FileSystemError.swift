import Foundation

/// A file operation that failed, in one line: what was done, the path, and the system's reason
/// with its errno name (`no space left on device (ENOSPC)`) — never Foundation's
/// `NSCocoaErrorDomain` text.
///
/// The snapshot writer throws it as the cause of its ``EtcdError``, so a backup tells a full
/// disk here apart from a member that failed to stream.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
  /// What was being done, e.g. "write the snapshot to".
  public var operation: String
  public var path: String
  public var errno: Int32

  public init(_ operation: String, path: String, errno: Int32) {
    self.operation = operation
    self.path = path
    self.errno = errno
  }

  /// The POSIX error inside a Foundation file error, if it has one (`NSUnderlyingErrorKey`), or
  /// the errno a Cocoa code stands for.
  public init?(_ operation: String, path fallbackPath: String? = nil, foundation error: any Error) {
    func posixCode(_ error: any Error) -> Int32? {
      if let posix = error as? POSIXError { return posix.code.rawValue }
      let bridged = error as NSError
      return bridged.domain == NSPOSIXErrorDomain ? Int32(bridged.code) : nil
    }
    var code = posixCode(error)
    if let underlying = (error as? CocoaError)?.underlying
      ?? ((error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error)
    {
      code = posixCode(underlying) ?? code
    }
    let error = error as NSError
    if code == nil, error.domain == NSCocoaErrorDomain {
      switch CocoaError.Code(rawValue: error.code) {
      case .fileNoSuchFile, .fileReadNoSuchFile: code = ENOENT
      case .fileWriteFileExists: code = EEXIST
      case .fileWriteNoPermission, .fileReadNoPermission: code = EACCES
      case .fileWriteOutOfSpace: code = ENOSPC
      case .fileWriteVolumeReadOnly: code = EROFS
      default: break
      }
    }
    guard let code else { return nil }
    let path = (error.userInfo[NSFilePathErrorKey] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? fallbackPath ?? ""
    self.init(operation, path: path, errno: code)
  }

  /// The system's reason and the errno name, e.g. `permission denied (EACCES)`.
  public var reason: String {
    let text = String(cString: strerror(errno)).lowercased()
    let names: [Int32: String] = [
      ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", EACCES: "EACCES", EPERM: "EPERM", EROFS: "EROFS", ENOENT: "ENOENT",
      ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EEXIST: "EEXIST", EIO: "EIO", ENAMETOOLONG: "ENAMETOOLONG", EFBIG: "EFBIG",
    ]
    return names[errno].map { "\(text) (\($0))" } ?? "\(text) (errno \(errno))"
  }

  public var description: String {
    "cannot \(operation) \(path.isEmpty ? "''" : path): \(reason)"
  }
}

extension EtcdError {
  /// A local file this client could not write (a snapshot's): said as the system says it, with
  /// the ``FileSystemError`` as its cause and no endpoint (the member is not to blame).
  static func localFile(_ operation: String, _ path: String, _ code: Int32) -> EtcdError {
    let problem = FileSystemError(operation, path: path, errno: code)
    return EtcdError(.other, problem.description, cause: problem)
  }
}
