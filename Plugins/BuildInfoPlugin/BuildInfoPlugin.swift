import Foundation
import PackagePlugin

/// Writes `GeneratedBuildCommit.swift` (`let generatedBuildCommit = "<commit>"`) into the target
/// it is applied to (BuildCommit): the git commit the sources were built from.
///
/// `build-commit.sh` beside this file does the work: `ETCD_PILOT_COMMIT` when set (an image
/// build, whose context has no `.git`), else `git rev-parse HEAD` of the package (`-dirty` when
/// tracked files differ from it), else `unknown`. It is a build command whose inputs are what the
/// answer depends on: git's HEAD, the branch it names, the index, and every source file of the
/// package, so the build runs it again after a commit, a checkout or an edit, and never otherwise.
/// (A prebuild command would not do: SwiftPM runs those only when it plans the build anew.)
@main
struct BuildInfoPlugin: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
    let package = context.package.directoryURL
    let script = package.appendingPathComponent("Plugins/BuildInfoPlugin/build-commit.sh")
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("GeneratedBuildCommit.swift")
    var arguments = [script.path, package.path, output.path]
    if let given = ProcessInfo.processInfo.environment["ETCD_PILOT_COMMIT"], !given.isEmpty { arguments.append(given) }
    var inputs = [script, package.appendingPathComponent("Package.swift")] + Self.gitState(package)
    for module in context.package.sourceModules { inputs += module.sourceFiles.map(\.url) }
    return [
      .buildCommand(
        displayName: "Recording the git commit of etcd-pilot",
        executable: URL(fileURLWithPath: "/bin/sh"), arguments: arguments,
        inputFiles: inputs, outputFiles: [output])
    ]
  }

  /// The files of `package`'s git repository that change with its commit: HEAD, the branch's ref
  /// (loose or packed), the index. Works for a checkout and a worktree (`.git` a file naming the
  /// real directory); none outside git.
  static func gitState(_ package: URL) -> [URL] {
    let files = FileManager.default
    let dotGit = package.appendingPathComponent(".git")
    var isDirectory: ObjCBool = false
    guard files.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return [] }
    var gitDirectory = dotGit
    if !isDirectory.boolValue {
      guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir: ") else { return [] }
      let path = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
      gitDirectory = path.hasPrefix("/") ? URL(fileURLWithPath: path) : package.appendingPathComponent(path)
    }
    var common = gitDirectory
    if let text = try? String(contentsOf: gitDirectory.appendingPathComponent("commondir"), encoding: .utf8) {
      let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
      common = path.hasPrefix("/") ? URL(fileURLWithPath: path) : gitDirectory.appendingPathComponent(path)
    }
    var state = [
      gitDirectory.appendingPathComponent("HEAD"), gitDirectory.appendingPathComponent("index"),
      common.appendingPathComponent("packed-refs"),
    ]
    if let head = try? String(contentsOf: gitDirectory.appendingPathComponent("HEAD"), encoding: .utf8),
      head.hasPrefix("ref: ")
    {
      state.append(
        common.appendingPathComponent(head.dropFirst("ref: ".count).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    return state.filter { files.fileExists(atPath: $0.path) }
  }
}
