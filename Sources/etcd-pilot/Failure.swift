import ArgumentParser
import Backup
import EtcdClient
import Foundation
import Kubernetes
import LocalCluster
import Membership
import PKI
import Pilot

/// Prints a one-line error naming the problem (and, where known, the fix) and exits non-zero:
/// 2 for bad input, 1 for everything else. Never a stack trace.
enum Failure {
  static func exit(_ command: String, _ error: any Error) -> ExitCode {
    let message: String
    var code: Int32 = 1
    switch error {
    case let error as InputError:
      message = error.description
      code = 2
    case let error as EtcdError:
      message = error.description
      if error.code == .invalidConfiguration { code = 2 }
    case let error as PilotError:
      message = error.description
      code = 2
    case let error as LocalClusterError:
      message = error.description
    case let error as KubernetesError:
      message = error.description
    case let error as BackupError:
      message = error.description
      if error.kind == .directory { code = 2 }
    case let error as PKIError:
      message = error.description
      code = 2
    case let error as FileSystemError:
      message = error.description
    case let error as DefragPass.Refusal:
      message = error.description
    case let error as AlarmDisarm.Refusal:
      message = error.description
    case let error as DefragFailure:
      message = error.description
    default:
      // Foundation's file errors carry an errno: said as the system says it, never as
      // NSCocoaErrorDomain text.
      message = FileSystemError("use", foundation: error)?.description ?? String(describing: error)
    }
    printError("etcd-pilot \(command): error: \(message)")
    return ExitCode(code)
  }

  static func printError(_ line: String) {
    let text = line.replacingOccurrences(of: "\n", with: " ") + "\n"
    FileHandle.standardError.write(Data(text.utf8))
  }
}
