import Foundation
import Testing

/// A user-facing error, as every command must give it: one line naming the problem, no stack
/// trace, no Foundation error text, a non-zero exit (or exactly `exitCode`).
public func expectOneLineError(
  _ result: ProcessOutput, mentions words: [String], exitCode: Int32? = nil,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let text = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
  #expect(result.exitCode != 0, "exit 0: \(text)", sourceLocation: sourceLocation)
  if let exitCode {
    #expect(result.exitCode == exitCode, "exit \(result.exitCode): \(text)", sourceLocation: sourceLocation)
  }
  #expect(!text.contains("\n"), "more than one line: \(text)", sourceLocation: sourceLocation)
  #expect(!text.contains("Fatal error") && !text.contains("Stack dump"), "\(text)", sourceLocation: sourceLocation)
  // Foundation's error text is not a message: the system's reason is said in words.
  #expect(
    !text.contains("NSCocoaErrorDomain") && !text.contains("NSPOSIXErrorDomain"), "\(text)",
    sourceLocation: sourceLocation)
  for word in words { #expect(text.contains(word), "'\(word)' missing from: \(text)", sourceLocation: sourceLocation) }
}
