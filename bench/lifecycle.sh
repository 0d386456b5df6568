#!/usr/bin/env bash
# The lifecycle benchmark in one command: sets up, builds etcd-pilot and etcd-pilot-bench in
# release mode and runs `etcd-pilot-bench lifecycle`, writing bench/results/lifecycle.{json,md}.
# Extra arguments go to `etcd-pilot-bench lifecycle` (e.g. --rounds 5 --etcd /usr/bin/etcd
# --etcdctl /usr/bin/etcdctl). Uses loopback addresses 127.0.91.x (bare etcd) and 127.0.92.x.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(bench/release-build.sh lifecycle)
exec "$bin/etcd-pilot-bench" lifecycle --pilot "$bin/etcd-pilot" --output bench/results/lifecycle.json "$@"
