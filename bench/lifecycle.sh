#!/usr/bin/env bash
# The lifecycle benchmark in one command: sets up, builds etcd-pilot and etcd-pilot-bench in
# release mode and runs `etcd-pilot-bench lifecycle`, writing bench/results/lifecycle.{json,md}.
# Extra arguments go to `etcd-pilot-bench lifecycle` (e.g. --rounds 5 --etcd /usr/bin/etcd
# --etcdctl /usr/bin/etcdctl). Uses loopback addresses 127.0.91.x (bare etcd) and 127.0.92.x.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh >&2
echo "lifecycle: swift build -c release (etcd-pilot, etcd-pilot-bench)" >&2
swift build -c release --product etcd-pilot >&2
swift build -c release --product etcd-pilot-bench >&2
bin=$(swift build -c release --show-bin-path)

if pgrep -f etcd-pilot-test- >/dev/null 2>&1 || pgrep -x swift-test >/dev/null 2>&1; then
  echo "lifecycle: warning: tests are running on this machine; the numbers will be noisy" >&2
fi

exec "$bin/etcd-pilot-bench" lifecycle --pilot "$bin/etcd-pilot" --output bench/results/lifecycle.json "$@"
