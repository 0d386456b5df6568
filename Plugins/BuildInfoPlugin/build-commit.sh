#!/bin/sh
# Writes the Swift file that holds the git commit of a build (BuildInfo.commit), for the
# BuildInfo plugin, whenever git's HEAD, branch, index or a source file changed:
#   build-commit.sh PACKAGE_DIR OUT_FILE [COMMIT]
# COMMIT (ETCD_PILOT_COMMIT, for builds without .git such as the image's) must be 7 to 40
# lower-case hex digits. Without it: `git rev-parse HEAD` of PACKAGE_DIR, with "-dirty" when
# tracked files differ from that commit; "unknown" where there is no git checkout.
# OUT_FILE is rewritten only when its text changes, so a build at the same commit compiles nothing.
set -u
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: build-commit.sh PACKAGE_DIR OUT_FILE [COMMIT]" >&2
  exit 2
fi
package=$1 out=$2 commit=${3:-}
if [ -n "$commit" ]; then
  if ! printf '%s' "$commit" | grep -Eqx '[0-9a-f]{7,40}'; then
    echo "ETCD_PILOT_COMMIT=$commit is not a git commit: give 7 to 40 lower-case hex digits (git rev-parse HEAD), or leave it unset" >&2
    exit 1
  fi
elif commit=$(git -C "$package" rev-parse HEAD 2>/dev/null); then
  git -C "$package" diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
else
  commit=unknown
fi
mkdir -p "$(dirname "$out")" || exit 1
printf '// Written by Plugins/BuildInfoPlugin at each build; not in the repository.\nlet generatedBuildCommit = "%s"\n' "$commit" >"$out.new" || exit 1
if cmp -s "$out.new" "$out"; then rm -f "$out.new"; else mv -f "$out.new" "$out"; fi
