#!/usr/bin/env bash
# The old incubator/etcd chart's flows on a real Kubernetes, for a machine with Docker, kind,
# kubectl and helm: creates a kind cluster, builds the etcd-pilot image and loads it, installs the
# chart, then shows health, failover after kill -9, scaling with kubectl and helm, and data kept
# across a pod restart. Every command is printed before it runs.
#   scripts/kind-demo.sh                 # cluster "etcd-pilot", release "demo", namespace "etcd"
#   KIND_CLUSTER=x RELEASE=y NAMESPACE=z scripts/kind-demo.sh
# Clean up with: kind delete cluster --name etcd-pilot
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${KIND_CLUSTER:-etcd-pilot}
release=${RELEASE:-demo}
ns=${NAMESPACE:-etcd}
image=etcd-pilot:kind-demo
helm=$(command -v helm || echo "$root/.tools/helm/helm")

for tool in docker kind kubectl "$helm"; do
  command -v "$tool" >/dev/null || { echo "kind-demo: $tool is needed" >&2; exit 1; }
done

step() { printf '\n=== %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }

step "a kind cluster named $cluster"
if ! kind get clusters | grep -qx "$cluster"; then
  run kind create cluster --name "$cluster" --wait 2m
fi
run kubectl config use-context "kind-$cluster"

step "the image: etcd-pilot with etcd, etcdctl, etcdutl"
run docker build -t "$image" "$root"
run kind load docker-image "$image" --name "$cluster"

step "install 3 members"
run "$helm" upgrade --install "$release" "$root/charts/etcd" --namespace "$ns" --create-namespace \
  --set image.repository="${image%%:*}" --set image.tag="${image#*:}" --set image.pullPolicy=Never \
  --wait --timeout 10m
sts=$(kubectl get statefulset -n "$ns" -l "app.kubernetes.io/instance=$release" -o jsonpath='{.items[0].metadata.name}')
k() { run kubectl -n "$ns" "$@"; }
member() { k exec "$sts-$1" -c etcd -- "${@:2}"; }
ready() { k rollout status "statefulset/$sts" --timeout 10m; }
gone() { k wait --for=delete "pod/$sts-$1" --timeout 10m; }

step "cluster health"
member 0 etcd-pilot health
member 0 etcdctl member list -w table
member 0 etcdctl put demo/greeting "kept across restarts"

step "failover: kill -9 member 1's etcd; its pilot brings it back with the same member ID"
# shellcheck disable=SC2016 # expanded by the pod's shell: kill -9 the etcd child, not the pilot
member 1 sh -c 'for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = etcd ] && kill -9 "${p#/proc/}"; done; true'
sleep 5
k wait --for=condition=Ready "pod/$sts-1" --timeout 5m
member 0 etcd-pilot health

step "scale up to 5 with kubectl scale: new members join as learners and are promoted"
k scale "statefulset/$sts" --replicas=5
ready
member 0 etcd-pilot health -w table

step "scale down to 4 with kubectl patch: member 4 hands off and removes itself"
k patch "statefulset/$sts" -p '{"spec":{"replicas":4}}'
gone 4
member 0 etcdctl member list -w table

step "back to 3 with helm upgrade --set replicas=3"
run "$helm" upgrade "$release" "$root/charts/etcd" --namespace "$ns" --reuse-values --set replicas=3 --wait --timeout 10m
gone 3
member 0 etcd-pilot health

step "data kept on restart: delete pod 0; it returns as the same member with its data"
member 0 etcdctl endpoint status -w table
k delete pod "$sts-0" --wait
sleep 5
k wait --for=condition=Ready "pod/$sts-0" --timeout 5m
member 0 etcdctl endpoint status -w table
member 0 etcdctl get demo/greeting --print-value-only

step "helm test: write, read back, cluster health"
run "$helm" test "$release" --namespace "$ns" --logs

step "done; remove everything with: kind delete cluster --name $cluster"
