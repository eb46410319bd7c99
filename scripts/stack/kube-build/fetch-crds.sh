#!/usr/bin/env bash
# Copies the standard-channel Gateway API CRDs of the pinned release (GatewayClass, Gateway, HTTPRoute,
# ReferenceGrant, and GRPCRoute and BackendTLSPolicy, which Traefik's provider watches too) out of the Go
# module cache into deploy/crds/. Run only to change the pin; the copied files are committed.
set -euo pipefail
GATEWAY_API_VERSION=v1.4.1
REPO_ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
dir=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
for kind in gatewayclasses gateways httproutes referencegrants grpcroutes backendtlspolicies; do
  install -m 0644 "$dir/config/crd/standard/gateway.networking.k8s.io_$kind.yaml" \
    "$REPO_ROOT/deploy/crds/gateway.networking.k8s.io_$kind.yaml"
done
echo "copied the Gateway API CRDs of gateway-api $GATEWAY_API_VERSION"
