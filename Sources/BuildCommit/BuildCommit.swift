/// The git commit these sources were built from, written by the BuildInfo plugin
/// (`Plugins/BuildInfoPlugin/build-commit.sh`) whenever git's HEAD, branch, index or a source
/// file changed: a full hash, with `-dirty` when tracked files differed from it;
/// `ETCD_PILOT_COMMIT` when the build was given one; `unknown` outside a git checkout.
/// A module of its own so that a new commit recompiles this module only: the modules that read it
/// see the same interface, and are only linked again.
public let buildCommit: String = generatedBuildCommit
