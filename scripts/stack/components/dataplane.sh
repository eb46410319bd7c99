#!/usr/bin/env bash
# The local data plane's pods: test/fixtures/dataplane/runner.ts watches the pods of the kwok nodes (as
# hwayo-stack-dataplane, least privilege) and runs one stand-in app process per pod of blue and green on
# the pod's loopback IP and container port (behaviour from the image tag, see app.ts). It also serves
# Services by their EndpointSlices on 127.0.0.1:18001 (/ns/<namespace>/<service><path>), which is where
# the data-plane plans' health checks go. Needs the kube component. Usage: dataplane.sh install|start|stop
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/stack/fixtures.sh"
PROXY_PORT=${HWAYO_DATAPLANE_PROXY_PORT:-18001} # region b (components/region-b.sh) sets its own
KUBE_STATE="$HWAYO_STACK_DIR/kube"
NAMESPACES=(hwayo-production hwayo-production-green)

install() { build_fixtures; }

# Every Ready pod of blue answers on its own IP (the EndpointSlice controller has published them).
blue_serving() {
  local kubectl; kubectl=$(sed -n 's/^export HWAYO_KUBECTL=//p' "$HWAYO_STACK_DIR/env.d/kube.env")
  local ips
  ips=$("$kubectl" --kubeconfig "$KUBE_STATE/admin.kubeconfig" -n hwayo-production get pods \
    -o jsonpath='{.items[*].status.podIP}')
  [ -n "$ips" ] || return 1
  for ip in $ips; do curl -fsS -o /dev/null "http://$ip:3000/health" || return 1; done
}

start() {
  [ -f "$KUBE_STATE/dataplane.kubeconfig" ] ||
    { slog "dataplane needs the kube component (up.sh kube dataplane)"; exit 1; }
  local args=()
  for ns in "${NAMESPACES[@]}"; do args+=(--namespace "$ns"); done
  run_fixture dataplane dataplane/runner.js --kubeconfig "$KUBE_STATE/dataplane.kubeconfig" \
    --app "$HWAYO_STACK_DIR/fixtures/dataplane/app.js" --proxy-port $PROXY_PORT "${args[@]}"
  wait_for dataplane 60 blue_serving
  write_env dataplane DATAPLANE_SERVICE_URL=http://127.0.0.1:$PROXY_PORT \
    "DATAPLANE_HEALTH_URL_TEMPLATE='http://127.0.0.1:$PROXY_PORT/ns/{{namespace}}/{{service}}{{path}}'"
}

stop() {
  stop_bg dataplane
  rm -f "$HWAYO_STACK_DIR/env.d/dataplane.env"
}

"${1:?usage: $0 install|start|stop}"
