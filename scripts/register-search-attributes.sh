#!/usr/bin/env bash
# Registers the Hwayo search attributes on a Temporal namespace (production; the local stack and
# docker-compose do the same). Idempotent: an attribute that already exists with the same type is fine.
# Usage: TEMPORAL_ADDRESS=host:7233 [TEMPORAL_NAMESPACE=default] scripts/register-search-attributes.sh
# Extra flags (e.g. --tls, --api-key, --tls-cert-path) come from TEMPORAL_CLI_FLAGS.
set -euo pipefail
TEMPORAL="${TEMPORAL_CLI:-temporal}"
ADDRESS="${TEMPORAL_ADDRESS:-localhost:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
read -r -a EXTRA <<<"${TEMPORAL_CLI_FLAGS:-}"
# name:type, as src/workflows/definitions.ts defines them.
ATTRIBUTES=(HwayoApp:Keyword HwayoVersion:Keyword HwayoStage:Keyword HwayoCanaryWeight:Int HwayoOutcome:Keyword
  HwayoPolicy:Keyword HwayoCluster:Keyword HwayoClusters:KeywordList)

command -v "$TEMPORAL" >/dev/null || { echo "temporal CLI not found (set TEMPORAL_CLI)" >&2; exit 1; }
TARGET=(--address "$ADDRESS" --namespace "$NAMESPACE" "${EXTRA[@]}")
existing=$("$TEMPORAL" operator search-attribute list "${TARGET[@]}" -o json)
for a in "${ATTRIBUTES[@]}"; do
  name=${a%%:*} type=${a##*:}
  if grep -q "\"$name\"" <<<"$existing"; then
    echo "$name already registered"
    continue
  fi
  if out=$("$TEMPORAL" operator search-attribute create "${TARGET[@]}" --name "$name" --type "$type" 2>&1); then
    echo "$name ($type) registered"
  elif grep -qi "already exists" <<<"$out"; then
    echo "$name already registered"
  else
    echo "$out" >&2; exit 1
  fi
done
