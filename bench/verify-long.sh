#!/usr/bin/env bash
# The long fault-injection run, in segments that replay one seed's schedule exactly
# (`etcd-pilot verify --from N --faults M`: every choice of every fault is drawn from the seed),
# each from a fresh cluster. A segment that passes is recorded at once in
# bench/results/verify-seed<S>-faults<A>-<B>.md; the first that fails stops the run and keeps
# its cluster's files (logs, volumes) for reading.
#   bench/verify-long.sh                                  # seed 20261127, schedule 3, faults 1–1000, 200 a segment
#   bench/verify-long.sh --from 201 --to 1000 --segment 200 --seed 20261127 --schedule 3 --etcd /usr/bin/etcd
#   bench/verify-long.sh --from 601 --to 1000 --address-base 127.0.31 --work /tmp/verify-b   # beside another
#   bench/verify-long.sh --etcd .tools/etcd-3.5.1/etcd --work /tmp/verify-35                 # the 3.5.1 run
# Uses loopback addresses 127.0.30.x (verify's default) unless --address-base, with TLS and auth (schedule 3; the
# recorded schedule-2 runs had TLS only); etcd 3.4.23 from Debian by default (3.5.0–3.5.2, the only 3.5 on PyPI,
# can skip applied writes when killed: etcd #13766). Schedule 3 sets its own quota (it fills it); older schedules
# replay with the 8 GiB quota they were recorded with.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seed=20261127 schedule=3 from=1 to=1000 segment=200 work=${TMPDIR:-/tmp}/etcd-pilot-verify-long etcd=/usr/bin/etcd address_base=127.0.30
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --schedule) schedule=$2; shift 2 ;;
    --etcd) etcd=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --to) to=$2; shift 2 ;;
    --segment) segment=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --address-base) address_base=$2; shift 2 ;;
    *) echo "verify-long: unknown argument $1 (use --seed, --schedule, --from, --to, --segment, --etcd, --work, --address-base)" >&2; exit 2 ;;
  esac
done

bin=$(bench/release-build.sh verify-long)
commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no Sources Package.swift)" ] || commit="$commit with uncommitted changes"
# A copy: a rebuild during the run must not change the binary under it.
mkdir -p "$work"
cp "$bin/etcd-pilot" "$work/etcd-pilot"
version=$("$etcd" --version | sed -n 's/^etcd Version: //p')
flags=(--seed "$seed" --schedule "$schedule" --tls --etcd "$etcd" --address-base "$address_base")
etcd_flags=(-- --quota-backend-bytes=8589934592)
security="--tls"
if [ "$schedule" -ge 3 ]; then
  flags+=(--auth)
  etcd_flags=()
  security="--tls --auth"
fi

start=$from
while [ "$start" -le "$to" ]; do
  end=$((start + segment - 1))
  [ "$end" -le "$to" ] || end=$to
  count=$((end - start + 1))
  dir="$work/faults$start-$end"
  log="$work/faults$start-$end.log"
  rm -rf "$dir" "$dir-local.log"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  others_before=$(pgrep -fc 'etcd-pilot verify --from' || true)
  began=$(date -u +%Y-%m-%dT%H:%MZ)
  echo "verify-long: faults $start–$end of seed $seed, schedule $schedule, etcd $version → $log"
  status=0
  "$work/etcd-pilot" verify --from "$start" --faults "$count" "${flags[@]}" --dir "$dir" "${etcd_flags[@]}" >"$log" 2>&1 || status=$?
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  others_after=$(pgrep -fc 'etcd-pilot verify --from' || true)
  beside=""
  if [ "$others_before" -gt 0 ] || [ "$others_after" -gt 0 ]; then
    beside=" Other verify runs on this machine at the start: $others_before, at the end: $others_after (sharing its $(nproc) vCPUs)."
  fi
  if [ "$status" -ne 0 ]; then
    echo "verify-long: faults $start–$end FAILED (exit $status); the run's output: $log; its files: $dir" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
  result="bench/results/verify-seed$seed-schedule$schedule-etcd$version-faults$start-$end.md"
  {
    echo "# etcd-pilot verify --seed $seed --schedule $schedule --from $start --faults $count $security (faults $start–$end of the schedule; this run of the script: $from–$to; etcd $version, release build of commit $commit, $began, $(nproc) vCPUs)"
    echo
    echo "Command: \`etcd-pilot verify --from $start --faults $count ${flags[*]} ${etcd_flags[*]}\` (by \`bench/verify-long.sh\`)."
    echo "Load average (1, 5, 15 min) before: $load_before; after: $load_after.$beside"
    echo
    echo '```'
    cat "$log"
    echo '```'
  } >"$result"
  echo "verify-long: faults $start–$end PASS, recorded in $result"
  start=$((end + 1))
done
