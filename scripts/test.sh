#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds, runs every test
# against real etcd 3.4 and 3.5, and fails if any test left an etcd process behind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh

leftovers() { pgrep -f 'etcd-pilot-test-' 2>/dev/null || true; }
before=$(leftovers)

swift build --build-tests
# Tests that start etcd clusters run one at a time: two cores, and elections are timing-bound.
status=0
timeout 85m swift test --skip-build --no-parallel "$@" || status=$?

# A test process that outlived the time limit (timeout signals only swift-test itself).
pkill -9 -f 'etcd-pilotPackageTests.xctest' 2>/dev/null || true
after=$(leftovers)
if [ -n "$after" ] && [ "$after" != "$before" ]; then
  echo "test.sh: tests left processes behind:" >&2
  ps -o pid,args -p $(echo $after | tr ' ' ',') >&2 || true
  kill -9 $after 2>/dev/null || true
  status=1
fi
exit $status
