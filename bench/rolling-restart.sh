#!/usr/bin/env bash
# The rolling-restart benchmark in one command: sets up, builds in release mode and runs
# `etcd-pilot-bench rolling-restart`, writing bench/results/rolling-restart.{json,md}. Extra
# arguments go to the benchmark (e.g. --rounds 5 --etcd /usr/bin/etcd). Uses 127.0.93.x.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(bench/release-build.sh rolling-restart)
exec "$bin/etcd-pilot-bench" rolling-restart --pilot "$bin/etcd-pilot" --output bench/results/rolling-restart.json "$@"
