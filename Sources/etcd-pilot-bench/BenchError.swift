/// A benchmark could not be run: what went wrong, in words for the person running it.
struct BenchError: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) { self.description = description }
}
