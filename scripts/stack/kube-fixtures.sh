#!/usr/bin/env bash
# Seeds the blue environment (scripts/stack/kube-fixtures/hwayo-production.yaml) into the local cluster.
# Server-side apply that takes fields back from other managers: re-seeding restores the seed state.
# With NAMESPACE, the same layout goes into NAMESPACE and its green side is NAMESPACE-green.
# Always the stack's own cluster, never whatever $KUBECONFIG points at. Usage: kube-fixtures.sh [NAMESPACE]
source "$(dirname "$0")/lib.sh"
ns=${1:-hwayo-production}
kubectl=${HWAYO_KUBECTL:-$HWAYO_CACHE/kube/v1.34.4/kubectl}
kube=("$kubectl" --kubeconfig "$HWAYO_STACK_DIR/kube/admin.kubeconfig")
sed "s/hwayo-production/$ns/g" "$REPO_ROOT/scripts/stack/kube-fixtures/hwayo-production.yaml" |
  "${kube[@]}" \
    apply --server-side --force-conflicts --field-manager=hwayo-stack -f - >/dev/null
if [ "$ns" = hwayo-production ]; then
  # The Gateway's listener port is its Traefik's entrypoint port (region b's differs: components/region-b.sh).
  sed "s/^    port: 18000\$/    port: ${HWAYO_TRAEFIK_WEB_PORT:-18000}/" \
    "$REPO_ROOT/scripts/stack/kube-fixtures/routes.yaml" |
    "${kube[@]}" apply --server-side --force-conflicts --field-manager=hwayo-stack -f - >/dev/null
  # The seed's routes are not in maintenance: a release ended mid-emergency (terminated by a test's
  # cleanup) leaves the annotation that marks it, which the apply above does not own and keeps.
  "${kube[@]}" -n hwayo-gateway \
    annotate httproute/hwayo-canary virtualservice/hwayo-canary traefikservice/hwayo-canary \
    release.hwayo.io/pre-maintenance-rules- >/dev/null
  # What the platform does for a first blue (docs/deployment.md): the release namespaces' registry and
  # the worker's RoleBindings in blue and in the route's namespace. A re-created blue needs them again.
  "${kube[@]}" \
    apply --server-side --force-conflicts --field-manager=hwayo-stack \
    -f "$REPO_ROOT/deploy/kubernetes/namespace.yaml" -f "$REPO_ROOT/deploy/kubernetes/environments.yaml" >/dev/null
fi
# The seed state has no green: one left by an ended (or terminated) release goes.
"${kube[@]}" delete namespace "$ns-green" --ignore-not-found --wait=true --timeout=180s >/dev/null
# Pods a node controller marked NotReady (kwok does not revive them) are replaced by their ReplicaSets.
stale=$("${kube[@]}" -n "$ns" get pods \
  -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
  awk '$2=="False"{print $1}')
[ -z "$stale" ] || "${kube[@]}" -n "$ns" delete pods --wait=false $stale >/dev/null
# Seeded means serving: every Deployment available (a namespace just re-created takes a few seconds).
"${kube[@]}" -n "$ns" wait --for=condition=Available deployment --all --timeout=180s >/dev/null
slog "blue environment seeded in namespace $ns"
