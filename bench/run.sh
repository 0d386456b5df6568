#!/usr/bin/env bash
# Runs the client benchmark in one command: sets up (bench/setup.sh), builds etcd-pilot-bench in
# release mode and runs `etcd-pilot-bench client`, writing bench/results/client.json and client.md.
# Extra arguments go to `etcd-pilot-bench client` (e.g. --seconds 5 --rounds 1 --etcd /usr/bin/etcd).
# Defaults: 5 s measured per run after 1 s of warm-up, 4 rounds (alternating which client goes first):
# short alternating runs pair both clients with the same background load on a shared 2-core machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

python=$(bench/setup.sh)

echo "run: swift build -c release --product etcd-pilot-bench" >&2
swift build -c release --product etcd-pilot-bench >&2
bin=$(swift build -c release --show-bin-path)/etcd-pilot-bench

# The machine has 2 cores: a test run beside the benchmark skews both clients' numbers.
if pgrep -f etcd-pilot-test- >/dev/null 2>&1 || pgrep -x swift-test >/dev/null 2>&1; then
  echo "run: warning: tests are running on this machine; the numbers will be noisy" >&2
fi

exec "$bin" client --python "$python" --rounds 4 --seconds 5 --warmup 1 \
  --output bench/results/client.json "$@"
