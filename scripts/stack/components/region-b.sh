#!/usr/bin/env bash
# Region b: a second Kubernetes cluster beside region a (components kube, traefik, dataplane), built from the
# same cached binaries and run by the same scripts with a state directory of its own ($HWAYO_STACK_DIR/region-b:
# its own CA, etcd data, pids and logs) and its own loopback ports: apiserver 26443, etcd 22379/22380, Traefik
# 28000 (metrics 28082, admin 28081), the data plane's Service proxy and pod discovery 28001, pods on
# 127.2.<n>.0/24. It holds the same seed (blue in hwayo-production, the gateway's route, the worker's
# ServiceAccount and RBAC). Prometheus (started after it) scrapes it with cluster="b".
# Usage: region-b.sh install|start|stop|seed [NAMESPACE]|start-process kube-etcd|kube-apiserver
source "$(dirname "$0")/../lib.sh"
B_DIR="$HWAYO_STACK_DIR/region-b"
export HWAYO_KUBE_API_PORT=26443 HWAYO_KUBE_ETCD_PORT=22379 HWAYO_KUBE_ETCD_PEER_PORT=22380
export HWAYO_KUBE_POD_NET=127.2 HWAYO_KUBE_KWOK_CIDR=127.245.0.0/16
export HWAYO_TRAEFIK_WEB_PORT=28000 HWAYO_TRAEFIK_METRICS_PORT=28082 HWAYO_TRAEFIK_ADMIN_PORT=28081
export HWAYO_DATAPLANE_PROXY_PORT=28001
PARTS=(kube traefik dataplane)

# in_b SCRIPT ARGS...: a stack script run against region b's state directory.
in_b() { HWAYO_STACK_DIR="$B_DIR" bash "$REPO_ROOT/scripts/stack/$1" "${@:2}"; }

install() { for p in "${PARTS[@]}"; do in_b "components/$p.sh" install; done; }

start() {
  for p in "${PARTS[@]}"; do in_b "components/$p.sh" start; done
  local dp="http://127.0.0.1:$HWAYO_DATAPLANE_PROXY_PORT" kubectl
  kubectl=$(sed -n 's/^export HWAYO_KUBECTL=//p' "$B_DIR/env.d/kube.env")
  # Region a keeps its names (KUBECONFIG, TRAEFIK_URL...); region b's carry the suffix _B.
  write_env region-b "HWAYO_KUBECONFIG_B=$B_DIR/kube/admin.kubeconfig" "HWAYO_KUBECTL_B=$kubectl" \
    "HWAYO_KUBE_API_URL_B=https://127.0.0.1:$HWAYO_KUBE_API_PORT" "HWAYO_KUBE_AUDIT_LOG_B=$B_DIR/logs/kube-audit.log" \
    "HWAYO_TRAEFIK_URL_B=http://127.0.0.1:$HWAYO_TRAEFIK_WEB_PORT" \
    "HWAYO_TRAEFIK_METRICS_URL_B=http://127.0.0.1:$HWAYO_TRAEFIK_METRICS_PORT/metrics" \
    "HWAYO_TRAEFIK_API_URL_B=http://127.0.0.1:$HWAYO_TRAEFIK_ADMIN_PORT" \
    "HWAYO_DATAPLANE_SERVICE_URL_B=$dp" \
    "HWAYO_DATAPLANE_HEALTH_URL_TEMPLATE_B='$dp/ns/{{namespace}}/{{service}}{{path}}'" \
    "HWAYO_REGION_B_STACK_DIR=$B_DIR"
  slog "region b up: https://127.0.0.1:$HWAYO_KUBE_API_PORT, gateway http://127.0.0.1:$HWAYO_TRAEFIK_WEB_PORT"
}

stop() {
  local i
  for ((i = ${#PARTS[@]} - 1; i >= 0; i--)); do in_b "components/${PARTS[$i]}.sh" stop; done
  rm -f "$HWAYO_STACK_DIR/env.d/region-b.env"
}

case "${1:-}" in
  install | start | stop) "$1" ;;
  # Region b's blue back to the seed state (kube-fixtures.sh against region b's cluster).
  seed) in_b kube-fixtures.sh "${@:2}" ;;
  start-process) in_b components/kube.sh start-process "${2:-}" ;;
  *) echo "usage: $0 install|start|stop|seed [NAMESPACE]|start-process kube-etcd|kube-apiserver" >&2; exit 2 ;;
esac
