/// A local StatefulSet's file that could not be written, in one line with what to do.
public struct LocalPlatformError: Error, CustomStringConvertible, Sendable {
  public let description: String

  public init(_ description: String) { self.description = description }
}
