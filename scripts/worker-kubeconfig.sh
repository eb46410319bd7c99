#!/usr/bin/env bash
# Installs the worker's least-privilege identity from deploy/kubernetes (namespace hwayo-release,
# ServiceAccount, its ClusterRoles, the namespace admission policy, and environments.yaml: the registry
# of release namespaces and the RoleBindings in blue and the route's namespace, which the stack's
# fixtures created) into the local stack's cluster and
# writes a kubeconfig that authenticates as that ServiceAccount (a 24 h token). The release's
# `cluster-policies` preflight check refuses a worker with wildcard (admin) permissions, so a worker
# against the stack runs with this kubeconfig, not the stack's admin one.
#   scripts/worker-kubeconfig.sh OUT-FILE        (needs .stack/env: KUBECONFIG, HWAYO_KUBECTL)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT=${1:?usage: $0 OUT-FILE}
# shellcheck disable=SC1091
[ -n "${HWAYO_KUBECTL:-}" ] || source "${HWAYO_STACK_DIR:-$ROOT/.stack}/env"
K=("$HWAYO_KUBECTL" --kubeconfig "$KUBECONFIG")
for f in namespace serviceaccount rbac environments; do
  "${K[@]}" apply --server-side --field-manager hwayo-release-setup -f "$ROOT/deploy/kubernetes/$f.yaml" >/dev/null
done
# The authorizer and admission pick new bindings and policies up from informers: wait until the
# ServiceAccount may list nodes and work in blue.
SA=system:serviceaccount:hwayo-release:hwayo-release-worker
for _ in $(seq 1 60); do
  [ "$("${K[@]}" auth can-i list nodes --as "$SA" 2>/dev/null)" = yes ] &&
    [ "$("${K[@]}" auth can-i create secrets -n hwayo-production --as "$SA" 2>/dev/null)" = yes ] && break
  sleep 0.5
done
TOKEN=$("${K[@]}" -n hwayo-release create token hwayo-release-worker --duration 24h)
SERVER=$("${K[@]}" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
CA=$("${K[@]}" config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
umask 077
cat >"$OUT" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: hwayo-stack
    cluster: { server: "$SERVER", certificate-authority-data: "$CA" }
users:
  - name: hwayo-release-worker
    user: { token: "$TOKEN" }
contexts:
  - name: hwayo-release-worker
    context: { cluster: hwayo-stack, user: hwayo-release-worker }
current-context: hwayo-release-worker
KUBECONFIG
echo "$OUT"
