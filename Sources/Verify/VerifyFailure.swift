/// A fault that could not be carried out or healed, said in one line.
struct VerifyFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
