import Foundation
import PackagePlugin

/// Writes `GeneratedBuildCommit.swift` (`let generatedBuildCommit = "<commit>"`) into the target
/// it is applied to (BuildCommit), before every build: the git commit the sources were built from.
///
/// `build-commit.sh` beside this file does the work: `ETCD_PILOT_COMMIT` when set (an image
/// build, whose context has no `.git`), else `git rev-parse HEAD` of the package (`-dirty` when
/// tracked files differ from it), else `unknown`.
@main
struct BuildInfoPlugin: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
    let package = context.package.directoryURL
    let script = package.appendingPathComponent("Plugins/BuildInfoPlugin/build-commit.sh")
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
    var arguments = [script.path, package.path, output.appendingPathComponent("GeneratedBuildCommit.swift").path]
    if let given = ProcessInfo.processInfo.environment["ETCD_PILOT_COMMIT"], !given.isEmpty { arguments.append(given) }
    return [
      .prebuildCommand(
        displayName: "Recording the git commit of etcd-pilot",
        executable: URL(fileURLWithPath: "/bin/sh"), arguments: arguments, outputFilesDirectory: output)
    ]
  }
}
