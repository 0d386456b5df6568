#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum FileCheck {
  static func isReadable(_ path: String) -> Bool {
    access(path, R_OK) == 0
  }
}
