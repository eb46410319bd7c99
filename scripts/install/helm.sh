#!/usr/bin/env bash
# Builds the pinned helm (helm.sh/helm/v3 cmd/helm, version and go.sum in scripts/stack/helm-build) from the Go
# module proxy into $HWAYO_CACHE/helm/<version>, linked as $HWAYO_CACHE/bin/helm. Prints nothing on success.
source "$(dirname "$0")/lib.sh"
HELM_VERSION=v3.21.4
MOD_DIR="$(cd "$(dirname "$0")/../stack/helm-build" && pwd)"
out="$HWAYO_CACHE/helm/$HELM_VERSION/helm"
grep -q "helm.sh/helm/v3 $HELM_VERSION\$" "$MOD_DIR/go.mod" ||
  { log "helm-build/go.mod does not pin $HELM_VERSION"; exit 1; }
if [ ! -x "$out" ]; then
  command -v go >/dev/null || { log "go is required to build helm"; exit 1; }
  log "building helm $HELM_VERSION from the Go module proxy (cold: minutes)"
  mkdir -p "$(dirname "$out")"
  t0=$(date +%s)
  # -mod=readonly: the committed go.sum is the pin. The version is stamped so `helm version` tells it.
  (cd "$MOD_DIR" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 nice -n 10 go build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" -o "$out.tmp" helm.sh/helm/v3/cmd/helm)
  mv "$out.tmp" "$out"
  log "built helm $HELM_VERSION in $(( $(date +%s) - t0 )) s"
fi
ln -sf "$out" "$HWAYO_CACHE/bin/helm"
