/// A flag or argument the command cannot work with: said in one line with the fix, exit 2,
/// before anything starts.
struct InputError: Error, CustomStringConvertible {
  let description: String

  init(_ description: String) { self.description = description }
}
