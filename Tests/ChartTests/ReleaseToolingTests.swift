import EtcdTestFixtures
import Foundation
import Testing
import Yams

/// What ships a release: the workflows, the Dockerfile, the chart package, `--version`. Each
/// linter is also shown a broken input, so a check that cannot fail is caught.
@Suite("Release: workflows, Dockerfile, chart package, --version", .serialized, .timeLimit(.minutes(10)))
struct ReleaseToolingTests {
  @Test("actionlint (with shellcheck) finds nothing in every workflow, and flags a broken one")
  func actionlint() async throws {
    let workflows = try ReleaseFiles.workflows()
    #expect(workflows.map { URL(fileURLWithPath: $0).lastPathComponent } == ["ci.yml", "release.yml"])
    let result = try await ReleaseFiles.actionlint(["-verbose"] + workflows)
    #expect(result.exitCode == 0, "\(result.output)")
    #expect(result.output.contains("Found 0 errors in \(workflows.count) files"), "\(result.output)")
    #expect(
      !result.output.contains(#"Rule "shellcheck" was disabled"#),
      "shellcheck must check the run: scripts: \(result.output)")

    // The same workflow with three faults: an untrusted value in a script, an unquoted variable
    // (shellcheck), a property the github context does not have.
    let directory = try ChartTools.scratchDirectory("actionlint-negative")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let broken = try String(contentsOfFile: "\(RepositoryRoot.path)/.github/workflows/ci.yml", encoding: .utf8)
      .replacingOccurrences(
        of: "        run: bash .ci/run\n",
        with:
          "        run: bash .ci/run ${{ github.event.pull_request.title }} $NAME\n      - run: echo \"${{ github.nothing }}\"\n"
      )
    #expect(broken.contains("github.nothing"), "ci.yml no longer runs bash .ci/run")
    try broken.write(toFile: "\(directory)/ci.yml", atomically: true, encoding: .utf8)
    let flagged = try await ReleaseFiles.actionlint(["-no-color", "\(directory)/ci.yml"])
    #expect(flagged.exitCode == 1, "\(flagged.output)")
    #expect(flagged.output.split(separator: "\n").filter { $0.contains("/ci.yml:") }.count == 3, "\(flagged.output)")
    for fragment in [
      #""github.event.pull_request.title" is potentially untrusted"#, "SC2086", #"property "nothing" is not defined"#,
    ] {
      #expect(flagged.output.contains(fragment), "\(fragment): \(flagged.output)")
    }
  }

  @Test("every action is pinned by a full commit with its release beside it; container images by digest")
  func actionsPinned() throws {
    var uses = 0
    for workflow in try ReleaseFiles.workflows() {
      let lines = try String(contentsOfFile: workflow, encoding: .utf8).split(separator: "\n").map(String.init)
      for line in lines {
        let text = line.trimmingCharacters(in: .whitespaces)
        if let range = text.range(of: "uses: ") {
          uses += 1
          let pin = text[range.upperBound...]
          let parts = pin.split(separator: " ", maxSplits: 1)
          let reference = parts.first.map { $0.split(separator: "@").last.map(String.init) ?? "" } ?? ""
          #expect(reference.count == 40 && reference.allSatisfy(\.isHexDigit), "\(workflow): \(text)")
          #expect(parts.count == 2 && parts[1].hasPrefix("# v"), "no release named beside the commit: \(text)")
        }
      }
    }
    #expect(uses >= 10, "found only \(uses) uses:")
    var containers = 0
    for name in ["ci.yml", "release.yml"] {
      let jobs = try ReleaseFiles.workflow(name)["jobs"]
      for job in jobs.keys where jobs[job]["container"].exists {
        containers += 1
        let image = jobs[job]["container"]["image"].string ?? ""
        #expect(ReleaseFiles.isPinnedImage(image), "\(name) \(job): \(image)")
      }
    }
    #expect(containers == 4)
  }

  @Test("hadolint finds nothing in the Dockerfile (each ignore justified), and flags a broken one")
  func hadolint() async throws {
    let dockerfile = "\(RepositoryRoot.path)/Dockerfile"
    let result = try await ReleaseFiles.hadolint(["--format", "json", "--failure-threshold", "style", dockerfile])
    #expect(result.exitCode == 0, "\(result.output)")
    #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(result.output)")
    #expect(
      !FileManager.default.fileExists(atPath: "\(RepositoryRoot.path)/.hadolint.yaml"),
      "ignores belong in the Dockerfile, each with its reason")
    let lines = try String(contentsOfFile: dockerfile, encoding: .utf8).split(
      separator: "\n", omittingEmptySubsequences: false
    ).map(String.init)
    for (index, line) in lines.enumerated() where line.contains("hadolint ignore=") {
      let reason = index > 0 ? lines[index - 1] : ""
      #expect(
        reason.hasPrefix("#") && !reason.contains("hadolint") && reason.count > 12,
        "an ignore without its reason on the line above: \(line)")
    }

    let directory = try ChartTools.scratchDirectory("hadolint-negative")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try """
    FROM debian:latest
    RUN apt-get update && apt-get install -y curl
    RUN cd /tmp && echo $HOME
    """.write(toFile: "\(directory)/Dockerfile", atomically: true, encoding: .utf8)
    let flagged = try await ReleaseFiles.hadolint([
      "--format", "json", "--failure-threshold", "style", "\(directory)/Dockerfile",
    ])
    #expect(flagged.exitCode != 0, "\(flagged.output)")
    for code in ["DL3007", "DL3008", "DL3003", "SC2086"] {
      #expect(flagged.output.contains("\"\(code)\""), "\(code): \(flagged.output)")
    }
  }

  @Test(
    "the Dockerfile pins its base images by digest, builds etcd-pilot as non-root, and the final image runs as 10001")
  func dockerfileShape() throws {
    let dockerfile = try ReleaseFiles.dockerfile()
    let arguments = ReleaseFiles.globalArguments(dockerfile)
    let froms = dockerfile.filter { $0.hasPrefix("FROM ") }
    #expect(froms.count == 3, "\(froms)")
    for from in froms {
      let image = String(from.dropFirst("FROM ".count).split(separator: " ")[0])
      let resolved = image.hasPrefix("${") ? arguments[String(image.dropFirst(2).dropLast())] ?? "" : image
      #expect(ReleaseFiles.isPinnedImage(resolved), "\(from) → \(resolved)")
    }
    let users = dockerfile.filter { $0.hasPrefix("USER ") }
    #expect(users.count == 2 && users.allSatisfy { !$0.contains("root") && !$0.hasSuffix(" 0") }, "\(users)")
    let build = try #require(dockerfile.firstIndex { $0.contains("AS build") })
    let swiftBuild = try #require(dockerfile.firstIndex { $0.contains("swift build -c release") })
    #expect(dockerfile[build..<swiftBuild].contains { $0.hasPrefix("USER ") }, "swift build runs as root")
    #expect(dockerfile.last?.hasPrefix("CMD ") == true)
    #expect(dockerfile.contains { $0.contains("sha256sum -c") }, "the tarball's checksum is not checked")
    #expect(dockerfile.contains { $0.hasPrefix("ADD ") && $0.contains("${TARGETARCH}") })

    // What the final image holds besides the base: the three etcd binaries and etcd-pilot.
    let final = try #require(dockerfile.lastIndex { $0.hasPrefix("FROM ") })
    let copies = dockerfile[final...].filter { $0.hasPrefix("COPY ") }
    #expect(
      copies == [
        "COPY --from=etcd /etcd/etcd /etcd/etcdctl /etcd/etcdutl /usr/local/bin/",
        "COPY --from=build /home/builder/out/etcd-pilot /usr/local/bin/etcd-pilot",
      ])

    // The build context: no .git or local tools; Package.resolved, when present, goes in.
    let ignored = try String(contentsOfFile: "\(RepositoryRoot.path)/.dockerignore", encoding: .utf8)
      .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    for entry in [".git", ".build", ".tools"] { #expect(ignored.contains(entry), "\(entry) in the build context") }
    for needed in ["Package.resolved", "Package.swift", "Sources", "Tests", "Plugins"] {
      #expect(!ignored.contains { $0 == needed || $0 == "*" }, "\(needed) is needed in the build context")
    }
  }

  @Test("the Dockerfile has an etcd SHA-256 for every etcd version and platform the workflows build")
  func etcdChecksums() throws {
    let dockerfile = try ReleaseFiles.dockerfile()
    let sums = try ReleaseFiles.etcdChecksums(dockerfile)
    #expect(sums.count >= 4, "\(sums)")
    #expect(sums.values.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }, "\(sums)")

    let release = try ReleaseFiles.workflow("release.yml")
    let image = release["jobs"]["image"]["strategy"]["matrix"]
    let versions = image["etcd"].strings
    let platforms = ReleaseFiles.platforms(image)
    #expect(platforms == ["linux/amd64", "linux/arm64"])
    #expect(
      versions.count == 2 && versions.contains { $0.hasPrefix("3.6.") } && versions.contains { $0.hasPrefix("3.5.") },
      "one image per supported line: \(versions)")
    #expect(
      release["jobs"]["publish"]["strategy"]["matrix"]["etcd"].strings == versions, "publish signs what image built")
    let ci = try ReleaseFiles.workflow("ci.yml")["jobs"]["image"]["strategy"]["matrix"]
    #expect(ci["etcd"].strings == versions, "CI builds the lines the release publishes")
    #expect(ReleaseFiles.platforms(ci) == platforms, "CI builds the platforms the release publishes")

    #expect(
      ReleaseFiles.missingChecksums(sums, versions: versions, platforms: platforms + ReleaseFiles.platforms(ci))
        .isEmpty,
      "\(ReleaseFiles.missingChecksums(sums, versions: versions, platforms: platforms))")
    let defaultVersion = try #require(ReleaseFiles.globalArguments(dockerfile)["ETCD_VERSION"])
    #expect(
      defaultVersion == versions.first && defaultVersion.hasPrefix("3.6."),
      "the default image is the newest 3.6: \(defaultVersion)")

    // The check itself: a table without one line is caught, naming what is missing.
    let arm = "etcd-v\(versions[1])-linux-arm64.tar.gz"
    var short = sums
    short[arm] = nil
    #expect(ReleaseFiles.missingChecksums(short, versions: versions, platforms: platforms) == [arm])
  }

  @Test("the chart package: helm package with the release's version and appVersion, read back by helm show chart")
  func chartPackage() async throws {
    let directory = try ChartTools.scratchDirectory("package")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let release = try ReleaseFiles.sourceRelease()
    let etcd = try #require(ReleaseFiles.globalArguments(try ReleaseFiles.dockerfile())["ETCD_VERSION"])
    // As release.yml packages it.
    let packaged = try await ChartTools.helm(
      ["package", ChartTools.chart, "--version", release, "--app-version", etcd, "--destination", directory])
    #expect(packaged.exitCode == 0, "\(packaged.output)")
    let archive = "\(directory)/etcd-\(release).tgz"
    #expect(FileManager.default.fileExists(atPath: archive), "\(packaged.output)")
    let shown = try await ChartTools.helm(["show", "chart", archive])
    #expect(shown.exitCode == 0, "\(shown.output)")
    let chart = YAMLValue(try Yams.load(yaml: shown.output))
    #expect(chart["name"].string == "etcd")
    #expect(chart["version"].string == release)
    #expect(chart["appVersion"].string == etcd)
    #expect(chart["home"].string == "https://github.com/etcd-pilot/etcd-pilot")
    #expect(chart["sources"].strings.contains("https://github.com/etcd-pilot/etcd-pilot"))
    #expect(
      chart["maintainers"].array.contains { $0["name"].string != nil && $0["url"].string != nil },
      "\(chart["maintainers"])")
    let lint = try await ChartTools.helm(["lint", "--strict", archive])
    #expect(lint.exitCode == 0 && lint.output.contains("0 chart(s) failed"), "\(lint.output)")

    // Artifact Hub: each annotation parses as Artifact Hub reads it.
    let annotations = chart["annotations"]
    for flag in ["artifacthub.io/prerelease", "artifacthub.io/containsSecurityUpdates"] {
      #expect(["true", "false"].contains(annotations[flag].string ?? ""), "\(flag): \(annotations[flag])")
    }
    let links = YAMLValue(try Yams.load(yaml: try #require(annotations["artifacthub.io/links"].string))).array
    #expect(
      links.count >= 2
        && links.allSatisfy { $0["name"].string != nil && ($0["url"].string ?? "").hasPrefix("https://") }, "\(links)")
    let changes = YAMLValue(try Yams.load(yaml: try #require(annotations["artifacthub.io/changes"].string))).array
    #expect(!changes.isEmpty)
    for change in changes {
      #expect(
        ["added", "changed", "deprecated", "removed", "fixed", "security"].contains(change["kind"].string ?? ""),
        "\(change)")
      #expect(!(change["description"].string ?? "").isEmpty, "\(change)")
    }
    let images = YAMLValue(try Yams.load(yaml: try #require(annotations["artifacthub.io/images"].string))).array
    let versions = try ReleaseFiles.workflow("release.yml")["jobs"]["image"]["strategy"]["matrix"]["etcd"].strings
    #expect(
      images.compactMap { $0["image"].string } == versions.map { "ghcr.io/etcd-pilot/etcd-pilot:\($0)" }, "\(images)")
    #expect(images.allSatisfy { $0["platforms"].strings == ["linux/amd64", "linux/arm64"] }, "\(images)")
  }

  @Test("the release is one number: BuildInfo.release, the chart's version, CHANGELOG.md's newest section")
  func releaseAgrees() throws {
    let release = try ReleaseFiles.sourceRelease()
    let chart = YAMLValue(
      try Yams.load(yaml: try String(contentsOfFile: "\(ChartTools.chart)/Chart.yaml", encoding: .utf8)))
    #expect(chart["version"].string == release)
    let changelog = try String(contentsOfFile: "\(RepositoryRoot.path)/CHANGELOG.md", encoding: .utf8)
    let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## [") }
    #expect(
      newest == "## [\(release)]", "the release workflow publishes this section as the notes: \(newest ?? "none")")
  }

  /// A checkout's chart must name an image the release builds: its appVersion is the Dockerfile's
  /// default etcd (the newest 3.6 whose published SHA-256 the Dockerfile carries).
  @Test("the chart's appVersion is the image the Dockerfile builds by default")
  func appVersionIsBuilt() throws {
    let chart = YAMLValue(
      try Yams.load(yaml: try String(contentsOfFile: "\(ChartTools.chart)/Chart.yaml", encoding: .utf8)))
    let built = ReleaseFiles.globalArguments(try ReleaseFiles.dockerfile())["ETCD_VERSION"]
    #expect(
      chart["appVersion"].string == built,
      "appVersion \(chart["appVersion"]) vs the Dockerfile's ETCD_VERSION \(built ?? "none")")
  }

  @Test(
    "the READMEs' install commands: the OCI chart at the release, and the air-gapped three that render the image built")
  func readmeInstall() async throws {
    let release = try ReleaseFiles.sourceRelease()
    let versions = try ReleaseFiles.workflow("release.yml")["jobs"]["image"]["strategy"]["matrix"]["etcd"].strings
    for readme in ["README.md", "charts/etcd/README.md"] {
      let lines = try String(contentsOfFile: "\(RepositoryRoot.path)/\(readme)", encoding: .utf8).split(separator: "\n")
        .map(String.init)
      let oci = lines.filter { $0.hasPrefix("helm install my-etcd oci://") }
      #expect(
        oci == [
          "helm install my-etcd oci://ghcr.io/etcd-pilot/charts/etcd --version \(release) --namespace etcd --create-namespace"
        ], "\(readme): \(oci)")
      // The release workflow pushes the chart to oci://ghcr.io/<owner>/charts, as etcd-<version>.
      let build = try #require(lines.first { $0.hasPrefix("docker build ") }, "\(readme) has no docker build")
      let push = try #require(lines.first { $0.hasPrefix("docker push ") }, "\(readme) has no docker push")
      let install = try #require(
        lines.first { $0.hasPrefix("helm install my-etcd charts/etcd ") && $0.contains("--set") }, "\(readme)")
      let tag = try #require(
        build.split(separator: " ").drop { $0 != "-t" }.dropFirst().first.map(String.init), "\(build)")
      #expect(push == "docker push \(tag)")
      #expect(
        versions.contains(String(tag.split(separator: ":").last ?? "")), "\(tag): a version the Dockerfile has sums for"
      )
      let set = try #require(
        install.split(separator: " ").drop { $0 != "--set" }.dropFirst().first.map(String.init), "\(install)")
      let rendered = try await ChartTools.render(["--set", set])
      #expect(try rendered.container["image"].string == tag, "\(readme): \(install)")
    }
  }

  @Test("etcd-pilot --version names the checkout's commit, the release and the etcd versions")
  func version() throws {
    let result = try PilotBinary.run(["--version"], timeout: 30)
    #expect(result.exitCode == 0, "\(result.output)")
    let line = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(!line.contains("\n"), "one line: \(line)")
    #expect(line.hasPrefix("etcd-pilot \(try ReleaseFiles.sourceRelease()), commit "), "\(line)")
    for fragment in ["3.4, 3.5, 3.6", "tested with 3.4.23, 3.5.1", "3.6 supported by design"] {
      #expect(line.contains(fragment), "\(fragment): \(line)")
    }
    let head = try ProcessOutput.run(
      "/usr/bin/env", ["git", "-C", RepositoryRoot.path, "rev-parse", "HEAD"], timeout: 30)
    guard head.exitCode == 0 else {
      #expect(line.contains("commit unknown"), "outside a git checkout the commit is unknown: \(line)")
      return
    }
    let commit = head.output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(commit.count == 40)
    let clean = try ProcessOutput.run(
      "/usr/bin/env", ["git", "-C", RepositoryRoot.path, "diff", "--quiet", "HEAD", "--"], timeout: 30)
    let expected = clean.exitCode == 0 ? "commit \(commit);" : "commit \(commit)-dirty;"
    #expect(
      line.contains(expected),
      "built from another tree than the checkout's (rebuild with swift build before the tests): \(line), checkout \(expected)"
    )
  }

  @Test(
    "build-commit.sh: the checkout's commit, -dirty, unknown without git, a given commit, one clear line for a bad one")
  func buildCommitScript() throws {
    let script = "\(RepositoryRoot.path)/Plugins/BuildInfoPlugin/build-commit.sh"
    let directory = try ChartTools.scratchDirectory("build-commit")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let out = "\(directory)/out/GeneratedBuildCommit.swift"
    func written(_ arguments: [String]) throws -> String {
      let result = try ProcessOutput.run("/bin/sh", [script] + arguments, timeout: 30)
      guard result.exitCode == 0 else { throw FixtureError("build-commit.sh \(arguments): \(result.output)") }
      return try String(contentsOfFile: out, encoding: .utf8)
    }
    func git(_ arguments: [String]) throws -> String {
      let result = try ProcessOutput.run(
        "/usr/bin/env", ["git", "-C", "\(directory)/repo"] + arguments, timeout: 30)
      guard result.exitCode == 0 else { throw FixtureError("git \(arguments): \(result.output)") }
      return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    #expect(try written([directory, out]).contains(#"let generatedBuildCommit = "unknown""#))

    try FileManager.default.createDirectory(atPath: "\(directory)/repo", withIntermediateDirectories: true)
    _ = try git(["init", "-q"])
    try "one\n".write(toFile: "\(directory)/repo/file", atomically: true, encoding: .utf8)
    _ = try git(["add", "file"])
    _ = try git(["-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q", "-m", "one"])
    let commit = try git(["rev-parse", "HEAD"])
    #expect(try written(["\(directory)/repo", out]).contains("let generatedBuildCommit = \"\(commit)\"\n"))
    // Unchanged text: the file is not rewritten (nothing to compile again).
    let before = try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date
    Thread.sleep(forTimeInterval: 1.1)
    _ = try written(["\(directory)/repo", out])
    #expect(try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date == before)

    try "two\n".write(toFile: "\(directory)/repo/file", atomically: true, encoding: .utf8)
    #expect(try written(["\(directory)/repo", out]).contains("let generatedBuildCommit = \"\(commit)-dirty\""))
    #expect(try written(["\(directory)/repo", out, "0123abc"]).contains(#"let generatedBuildCommit = "0123abc""#))

    let bad = try ProcessOutput.run("/bin/sh", [script, directory, out, "main; rm -rf /"], timeout: 30)
    #expect(bad.exitCode == 1)
    #expect(
      bad.output
        == "ETCD_PILOT_COMMIT=main; rm -rf / is not a git commit: give 7 to 40 lower-case hex digits (git rev-parse HEAD), or leave it unset\n",
      "\(bad.output)")
    #expect(
      try String(contentsOfFile: out, encoding: .utf8).contains("0123abc"), "a refused commit leaves the last file")
  }

  @Test("ShellCheck finds nothing in the release's scripts (its broken input: actionlint's SC2086 above)")
  func scriptsShellCheck() async throws {
    let scripts = [
      "scripts/setup-release-tools.sh", "scripts/setup-chart-tools.sh", "Plugins/BuildInfoPlugin/build-commit.sh",
    ]
    .map { "\(RepositoryRoot.path)/\($0)" }
    let result = try await ProcessOutput.runAsync(
      try ChartTools.require("\(ReleaseFiles.venv)/shellcheck"), ["--format", "gcc", "--severity", "style"] + scripts,
      timeout: .seconds(60))
    #expect(result.exitCode == 0 && result.output.isEmpty, "\(result.output)")
  }

  @Test("scripts/setup-release-tools.sh is idempotent: a second run installs nothing and prints the pinned versions")
  func setupIdempotent() throws {
    let result = try ProcessOutput.run(
      "/bin/bash", ["\(RepositoryRoot.path)/scripts/setup-release-tools.sh"], timeout: 300)
    #expect(result.exitCode == 0, "\(result.output)")
    #expect(!result.output.contains("installing"), "\(result.output)")
    for fragment in ["actionlint 1.14.0", "Haskell Dockerfile Linter 2.15.1", "shellcheck 0.11.0"] {
      #expect(result.output.contains(fragment), "\(fragment): \(result.output)")
    }
  }
}

/// The release files as the tests read them.
enum ReleaseFiles {
  static let venv = "\(RepositoryRoot.path)/.tools/release-venv/bin"

  static func actionlint(_ arguments: [String]) async throws -> ProcessOutput {
    try await ProcessOutput.runAsync(
      try ChartTools.require("\(venv)/actionlint"),
      ["-shellcheck", try ChartTools.require("\(venv)/shellcheck"), "-pyflakes", ""] + arguments, timeout: .seconds(120)
    )
  }

  static func hadolint(_ arguments: [String]) async throws -> ProcessOutput {
    try await ProcessOutput.runAsync(
      try ChartTools.require("\(venv)/hadolint"), ["--no-color"] + arguments, timeout: .seconds(120))
  }

  /// Every workflow file, sorted.
  static func workflows() throws -> [String] {
    let directory = "\(RepositoryRoot.path)/.github/workflows"
    return try FileManager.default.contentsOfDirectory(atPath: directory)
      .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
  }

  static func workflow(_ name: String) throws -> YAMLValue {
    YAMLValue(
      try Yams.load(
        yaml: try String(contentsOfFile: "\(RepositoryRoot.path)/.github/workflows/\(name)", encoding: .utf8)))
  }

  /// A matrix's platforms: its `platform` list and those its `include` entries add.
  static func platforms(_ matrix: YAMLValue) -> [String] {
    var platforms = matrix["platform"].strings
    for entry in matrix["include"].array {
      if let platform = entry["platform"].string, !platforms.contains(platform) { platforms.append(platform) }
    }
    return platforms
  }

  /// `name:tag@sha256:<64 hex>`.
  static func isPinnedImage(_ image: String) -> Bool {
    let parts = image.split(separator: "@")
    guard parts.count == 2, parts[0].contains(":"), parts[1].hasPrefix("sha256:") else { return false }
    let digest = parts[1].dropFirst("sha256:".count)
    return digest.count == 64 && digest.allSatisfy { $0.isHexDigit && !$0.isUppercase }
  }

  /// The Dockerfile's logical lines: continuations joined, comments and blank lines dropped.
  static func dockerfile() throws -> [String] {
    let text = try String(contentsOfFile: "\(RepositoryRoot.path)/Dockerfile", encoding: .utf8)
    var lines: [String] = []
    var current = ""
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = String(raw)
      if current.isEmpty
        && (line.trimmingCharacters(in: .whitespaces).hasPrefix("#")
          || line.trimmingCharacters(in: .whitespaces).isEmpty)
      {
        continue
      }
      if line.hasSuffix("\\") {
        current += line.dropLast() + " "
      } else {
        lines.append((current + line).trimmingCharacters(in: .whitespaces))
        current = ""
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }

  /// The ARGs before the first FROM, with their defaults (quotes removed).
  static func globalArguments(_ lines: [String]) -> [String: String] {
    var arguments: [String: String] = [:]
    for line in lines {
      if line.hasPrefix("FROM ") { break }
      guard line.hasPrefix("ARG "), let equals = line.firstIndex(of: "=") else { continue }
      let name = String(line[line.index(line.startIndex, offsetBy: 4)..<equals])
      var value = String(line[line.index(after: equals)...])
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
      arguments[name] = value
    }
    return arguments
  }

  /// ETCD_SHA256SUMS: file name → SHA-256.
  static func etcdChecksums(_ lines: [String]) throws -> [String: String] {
    guard let table = globalArguments(lines)["ETCD_SHA256SUMS"] else {
      throw FixtureError("the Dockerfile has no ARG ETCD_SHA256SUMS")
    }
    let words = table.split(whereSeparator: \.isWhitespace).map(String.init)
    guard words.count % 2 == 0 else { throw FixtureError("ETCD_SHA256SUMS is not pairs of <sha256> <file>: \(table)") }
    var sums: [String: String] = [:]
    for pair in stride(from: 0, to: words.count, by: 2) { sums[words[pair + 1]] = words[pair] }
    return sums
  }

  /// The tarballs (etcd-v<version>-linux-<arch>.tar.gz) that `sums` lacks.
  static func missingChecksums(_ sums: [String: String], versions: [String], platforms: [String]) -> [String] {
    var missing: [String] = []
    for version in versions {
      for platform in platforms {
        let arch = platform.split(separator: "/").last.map(String.init) ?? platform
        let file = "etcd-v\(version)-linux-\(arch).tar.gz"
        if sums[file] == nil, !missing.contains(file) { missing.append(file) }
      }
    }
    return missing
  }

  /// BuildInfo.release, read from the source as release.yml reads it.
  static func sourceRelease() throws -> String {
    let text = try String(contentsOfFile: "\(RepositoryRoot.path)/Sources/Pilot/BuildInfo.swift", encoding: .utf8)
    let prefix = "  public static let release = \""
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) && $0.hasSuffix("\"") }) else {
      throw FixtureError("Sources/Pilot/BuildInfo.swift has no line \(prefix)…\"")
    }
    return String(line.dropFirst(prefix.count).dropLast())
  }
}
