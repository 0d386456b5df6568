#!/usr/bin/env bash
# The defragmentation benchmark in one command: sets up, builds in release mode and runs
# `etcd-pilot-bench defrag-gap`, writing bench/results/defrag-gap.{json,md}. Extra arguments go
# to the benchmark (e.g. --rounds 5 --freeable-mib 300 --etcd /usr/bin/etcd --etcdctl /usr/bin/etcdctl).
# Uses 127.0.94.x.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(bench/release-build.sh defrag-gap)
exec "$bin/etcd-pilot-bench" defrag-gap --pilot "$bin/etcd-pilot" --output bench/results/defrag-gap.json "$@"
