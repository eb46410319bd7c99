#!/usr/bin/env bash
# Starts the local stack (all components, or those named): install (cached), start, wait ready.
# Afterwards `.stack/env` holds the variables that point tests and the worker at it.
source "$(dirname "$0")/lib.sh"
ALL=(kube traefik dataplane region-b jaeger prometheus alertmanager moto postgres redis exporters tls sinks temporal)
components=("$@"); [ ${#components[@]} -eq 0 ] && components=("${ALL[@]}")
# The metrics app, sinks and TLS servers are ours, in TypeScript: they need Node >= 22 (the pinned
# one from scripts/install/node.sh when the machine's is older) and the npm packages.
NODE_BIN=$(bash "$REPO_ROOT/scripts/install/node.sh")
[ -z "$NODE_BIN" ] || export PATH="$NODE_BIN:$PATH"
if [ ! -d "$REPO_ROOT/node_modules" ]; then slog "npm ci"; (cd "$REPO_ROOT" && npm ci --no-audit --no-fund >&2); fi
for c in "${components[@]}"; do
  script="$REPO_ROOT/scripts/stack/components/$c.sh"
  [ -f "$script" ] || { slog "unknown component $c (known: ${ALL[*]})"; exit 2; }
  t0=$(date +%s%N)
  bash "$script" install
  bash "$script" start
  slog "$c up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
# Later files win: the Temporal cluster (temporal-cluster, started on request) comes after the dev
# server, so TEMPORAL_ADDRESS points at the cluster whenever it runs.
cat $(ls "$HWAYO_STACK_DIR"/env.d/*.env 2>/dev/null | grep -v '/temporal-cluster.env$') \
  $(ls "$HWAYO_STACK_DIR"/env.d/temporal-cluster.env 2>/dev/null) >"$HWAYO_STACK_DIR/env" 2>/dev/null \
  || : >"$HWAYO_STACK_DIR/env"
slog "env written to $HWAYO_STACK_DIR/env"
