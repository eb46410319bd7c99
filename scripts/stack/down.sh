#!/usr/bin/env bash
# Stops every component that up.sh started (in reverse order); safe to run when nothing runs.
source "$(dirname "$0")/lib.sh"
ALL=(cluster-b temporal-cluster temporal sinks tls exporters redis postgres moto alertmanager prometheus jaeger region-b
  dataplane traefik kube)
components=("$@"); [ ${#components[@]} -eq 0 ] && components=("${ALL[@]}")
# The demo's worker (scripts/demo.sh) talks to this stack: it goes first when everything stops.
if [ $# -eq 0 ] && [ -f "$HWAYO_STACK_DIR/pids/demo-worker.pid" ]; then
  pid=$(cat "$HWAYO_STACK_DIR/pids/demo-worker.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$HWAYO_STACK_DIR/pids/demo-worker.pid"
fi
for c in "${components[@]}"; do
  script="$REPO_ROOT/scripts/stack/components/$c.sh"
  [ -f "$script" ] && bash "$script" stop || true
done
