#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds etcd-pilot, and brings up
# a local 3-member etcd cluster (./etcd-local) that keeps running in the background. It ends
# with the cluster's health table. Extra arguments go to `etcd-pilot local up`.
# Stop it with: .build/debug/etcd-pilot local down
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
swift build --product etcd-pilot
pilot="$root/.build/debug/etcd-pilot"
etcd="$root/.tools/etcd-3.5.1/etcd"

if "$pilot" local status --dir ./etcd-local >/dev/null 2>&1; then
  echo "run.sh: a local cluster already runs in ./etcd-local:"
  exec "$pilot" health --endpoints "$("$pilot" local status --dir ./etcd-local -w json | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["endpoints"]))')" -w table
fi
exec "$pilot" local up --dir ./etcd-local --etcd "$etcd" --detach "$@"
