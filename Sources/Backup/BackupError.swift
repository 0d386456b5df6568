import EtcdClient

/// Why a backup was not taken: one line naming the problem and the fix, with the cause attached.
public struct BackupError: Error, CustomStringConvertible, Sendable {
  public enum Kind: Sendable, Hashable {
    /// The folder is missing, not a folder, or not writable: bad input.
    case directory
    /// No member could be asked or could stream its snapshot.
    case cluster
    /// The snapshot could not be written to the folder (a full disk, a read-only mount): not
    /// the member's fault, so no other member is asked.
    case storage
    /// The backup was stopped (a signal); nothing unfinished was left.
    case interrupted
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
