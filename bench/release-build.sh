#!/usr/bin/env bash
# Shared by the benchmark scripts: sets up, builds etcd-pilot and etcd-pilot-bench in release
# mode, warns when tests are running beside it, and prints the binaries' folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh >&2
echo "$(basename "${1:-bench}"): swift build -c release (etcd-pilot, etcd-pilot-bench)" >&2
swift build -c release --product etcd-pilot >&2
swift build -c release --product etcd-pilot-bench >&2
if pgrep -f etcd-pilot-test- >/dev/null 2>&1 || pgrep -x swift-test >/dev/null 2>&1; then
  echo "$(basename "${1:-bench}"): warning: tests are running on this machine; the numbers will be noisy" >&2
fi
swift build -c release --show-bin-path
