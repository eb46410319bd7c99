#!/usr/bin/env bash
# Seeds the blue environment (scripts/stack/kube-fixtures/hwayo-production.yaml) into the local cluster.
# Idempotent (server-side apply). With NAMESPACE, the same layout goes into NAMESPACE instead, and the
# green side becomes NAMESPACE-green. Usage: kube-fixtures.sh [NAMESPACE]
source "$(dirname "$0")/lib.sh"
ns=${1:-hwayo-production}
kubectl=${HWAYO_KUBECTL:-$HWAYO_CACHE/kube/v1.34.4/kubectl}
sed "s/hwayo-production/$ns/g" "$REPO_ROOT/scripts/stack/kube-fixtures/hwayo-production.yaml" |
  "$kubectl" --kubeconfig "${KUBECONFIG:-$HWAYO_STACK_DIR/kube/admin.kubeconfig}" \
    apply --server-side --field-manager=hwayo-stack -f - >/dev/null
slog "blue environment seeded in namespace $ns"
