#!/usr/bin/env bash
# The local stack's platform policy (src/policy/schema.ts), applied as the platform team would: by the stack's admin
# into the ConfigMap hwayo-release/hwayo-release-policy, which the worker's ServiceAccount may only read
# (deploy/kubernetes/rbac.yaml). The seed's production rules with demo-length windows, and the public keys of the
# private keys in KEYS_DIR (alice, bob, carol: `hwayo-release keys generate`). Workers that read it run with
# HWAYO_POLICY=configmap:hwayo-release/hwayo-release-policy (npm run demo, the end-to-end test). The slowest analysis
# interval is the seed's 1m; HighErrorRate firing for green rolls a live canary back (the worker's alert webhook).
# Usage: scripts/stack/local-policy.sh KEYS_DIR   (after scripts/worker-kubeconfig.sh made namespace hwayo-release)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
KEYS=${1:?usage: $0 KEYS_DIR}
# shellcheck disable=SC1091
source "$HWAYO_STACK_DIR/env"
K=("$HWAYO_KUBECTL" --kubeconfig "$KUBECONFIG")

# public_key FILE: the base64 ed25519 public key of a private key file (base64 of the 32-byte seed). openssl reads
# the seed as a PKCS#8 key: the fixed 16-byte DER header of an ed25519 private key, then the seed.
public_key() {
  { printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'; base64 -d <"$1"; } |
    openssl pkey -inform DER -pubout -outform DER | tail -c 32 | base64 -w0
}
for id in alice bob carol; do [ -f "$KEYS/$id.key" ] || { slog "$KEYS/$id.key missing"; exit 2; }; done

policy=$(cat <<YAML
version: 1
environments:
  - name: local
    namespaces: [hwayo-production, hwayo-production-green]
    approval:
      requiredRoles: [tech-lead, product-manager, qa-lead]
      approvers:
        - { id: alice, role: tech-lead, publicKey: $(public_key "$KEYS/alice.key") }
        - { id: bob, role: product-manager, publicKey: $(public_key "$KEYS/bob.key") }
        - { id: carol, role: qa-lead, publicKey: $(public_key "$KEYS/carol.key") }
      maxTimeout: 1h
    checks: [release-baseline, security-evidence]
    canary: { minSteps: 3, maxFirstWeight: 5, minWatch: 8s, maxAnalysisInterval: 1m, maxPause: 1h }
    fullSwitch: { minWatch: 4s }
    retention: { minBlueKeep: 10m }
    rollbackOnAlerts: [HighErrorRate]
YAML
)
"${K[@]}" create configmap hwayo-release-policy -n hwayo-release --from-literal=policy.yaml="$policy" \
  --dry-run=client -o yaml | "${K[@]}" apply --server-side --field-manager hwayo-platform -f - >/dev/null
slog "platform policy applied: configmap hwayo-release/hwayo-release-policy (environment local)"
