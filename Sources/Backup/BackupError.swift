import EtcdClient

/// Why a backup was not taken: one line naming the problem and the fix, with the cause attached.
public struct BackupError: Error, CustomStringConvertible, Sendable {
  public enum Kind: Sendable, Hashable {
    /// The folder is missing, not a folder, or not writable: bad input.
    case directory
    /// No member could be asked or could stream its snapshot.
    case cluster
    /// The backup was written, but something after it (its record, the removal of old ones) failed.
    case files
  }
  public var kind: Kind
  public var description: String
  public var cause: (any Error)?

  public init(_ kind: Kind, _ description: String, cause: (any Error)? = nil) {
    self.kind = kind
    self.description = description
    self.cause = cause
  }
}
