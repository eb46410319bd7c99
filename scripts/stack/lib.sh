# Shared helpers for the local stack. Every component runs on 127.0.0.1, keeps its state under
# $HWAYO_STACK_DIR (default <repo>/.stack), and records its pid so down.sh can stop it.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HWAYO_STACK_DIR="${HWAYO_STACK_DIR:-$REPO_ROOT/.stack}"
HWAYO_CACHE="${HWAYO_CACHE:-$HOME/.cache/hwayo-release}"
mkdir -p "$HWAYO_STACK_DIR/logs" "$HWAYO_STACK_DIR/pids" "$HWAYO_STACK_DIR/env.d" "$HWAYO_CACHE/bin"
slog() { printf '[stack] %s\n' "$*" >&2; }
# The stack PostgreSQL's socket directory, through postgres.sh's link resolved: the user postgres cannot
# traverse a stack directory only root may enter (a clone in mktemp -d).
pg_socket_dir() { echo "$(readlink -f "$HWAYO_STACK_DIR/postgres")/run"; }

# start_bg NAME CMD...: runs CMD detached in its own process group, logs to logs/NAME.log.
start_bg() {
  local name=$1; shift
  local pidfile="$HWAYO_STACK_DIR/pids/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then slog "$name already running"; return 0; fi
  setsid "$@" >>"$HWAYO_STACK_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$pidfile"
}

# stop_bg NAME: TERM the process group, then KILL after 10 s.
stop_bg() {
  local pidfile="$HWAYO_STACK_DIR/pids/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# wait_for NAME SECONDS CMD...: polls CMD until it succeeds; on timeout prints the log tail and fails.
wait_for() {
  local name=$1 secs=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      slog "$name not ready after ${secs}s; last log lines:"; tail -n 30 "$HWAYO_STACK_DIR/logs/$name.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# write_env NAME KEY=VALUE...: the variables tests and the worker use to reach this component.
write_env() {
  local name=$1; shift
  : >"$HWAYO_STACK_DIR/env.d/$name.env"
  for kv in "$@"; do printf 'export %s\n' "$kv" >>"$HWAYO_STACK_DIR/env.d/$name.env"; done
}
