#!/usr/bin/env bash
# The rolling-restart benchmark in one command: sets up, builds etcd-pilot and etcd-pilot-bench
# in release mode and runs `etcd-pilot-bench rolling-restart`, writing
# bench/results/rolling-restart.{json,md}. Extra arguments go to the benchmark (e.g. --rounds 5).
# Uses loopback addresses 127.0.93.x.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh >&2
echo "rolling-restart: swift build -c release (etcd-pilot, etcd-pilot-bench)" >&2
swift build -c release --product etcd-pilot >&2
swift build -c release --product etcd-pilot-bench >&2
bin=$(swift build -c release --show-bin-path)

if pgrep -f etcd-pilot-test- >/dev/null 2>&1 || pgrep -x swift-test >/dev/null 2>&1; then
  echo "rolling-restart: warning: tests are running on this machine; the numbers will be noisy" >&2
fi

exec "$bin/etcd-pilot-bench" rolling-restart --pilot "$bin/etcd-pilot" --output bench/results/rolling-restart.json "$@"
