#!/usr/bin/env bash
# Copies the Gateway API HTTPRoute CRD of the pinned release out of the Go module cache into deploy/crds/.
# Run only to change the pin; the copied file is committed.
set -euo pipefail
GATEWAY_API_VERSION=v1.4.1
REPO_ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
dir=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
install -m 0644 "$dir/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml" \
  "$REPO_ROOT/deploy/crds/gateway.networking.k8s.io_httproutes.yaml"
echo "copied HTTPRoute CRD of gateway-api $GATEWAY_API_VERSION"
