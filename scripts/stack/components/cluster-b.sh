#!/usr/bin/env bash
# The Temporal cluster (temporal-cluster.sh) and everything its releases change or fault, in region b, so that the
# cluster project runs beside the chaos project (scripts/test.sh). Chaos kills Prometheus, Redis and region a's
# kube-apiserver and etcd, makes the metrics apps sick, and counts moto's RDS snapshots; the cluster project stops
# its PostgreSQL. So the cluster gets its own: PostgreSQL (its persistence, and the plan's database check), Redis,
# moto (archive bucket, RDS), Prometheus with its own pair of metrics apps (no alerts), all in region b's state
# directory ($HWAYO_STACK_DIR/region-b, beside its kube, Traefik and data plane) on ports of their own. Shared, and
# neither faulted by chaos nor read by it beyond its own versions: the sinks, TLS server, Jaeger.
# Tests run with HWAYO_STACK_DIR=<region b's directory>: its `env` is the stack's, then region b's and these
# parts' (same names, later wins), the cluster's last. Needs region b up. Usage: cluster-b.sh install|start|stop
source "$(dirname "$0")/../lib.sh"
B_DIR="$HWAYO_STACK_DIR/region-b"
PORTS=(HWAYO_POSTGRES_PORT=29432 HWAYO_REDIS_PORT=29379 HWAYO_MOTO_PORT=29000 HWAYO_PROMETHEUS_PORT=29090
  HWAYO_METRICS_APP_GREEN_PORT=29100 HWAYO_METRICS_APP_BLUE_PORT=29101 HWAYO_PROMETHEUS_APPS_ONLY=1)
export "${PORTS[@]}"
PARTS=(postgres redis moto prometheus temporal-cluster)

# in_b COMPONENT ACTION: a component script run against region b's state directory.
in_b() { HWAYO_STACK_DIR="$B_DIR" bash "$REPO_ROOT/scripts/stack/components/$1.sh" "$2"; }

install() { for p in "${PARTS[@]}"; do in_b "$p" install; done; }

start() {
  [ -f "$HWAYO_STACK_DIR/env.d/region-b.env" ] || { slog "cluster-b: region b is not up (up.sh region-b)"; exit 1; }
  mkdir -p "$B_DIR/env.d"
  # The stack's attestation key (moto.sh keeps one that exists): evidence signed for the stack verifies here too.
  [ ! -s "$HWAYO_STACK_DIR/attestation.key" ] || install -m 600 "$HWAYO_STACK_DIR/attestation.key" "$B_DIR/"
  # The ports, and the stack directory, for tests that stop and start these parts (cluster.test.ts); region b's
  # gateway port for its seed (kube-fixtures.sh).
  HWAYO_STACK_DIR="$B_DIR" write_env cluster-b "HWAYO_STACK_DIR=$B_DIR" "${PORTS[@]}" HWAYO_TRAEFIK_WEB_PORT=28000
  for p in "${PARTS[@]}"; do in_b "$p" start; done
  # Written whole, then renamed: a test reading it meanwhile sees the old one or the new, never half.
  local d
  for d in "$HWAYO_STACK_DIR" "$B_DIR"; do
    cat $(ls "$d"/env.d/*.env | grep -v '/temporal-cluster.env$')
  done >"$B_DIR/env.tmp"
  cat "$B_DIR/env.d/temporal-cluster.env" >>"$B_DIR/env.tmp"
  mv "$B_DIR/env.tmp" "$B_DIR/env"
  slog "cluster-b up: Temporal on 127.0.0.1:17240, its stores on 29xxx; tests: HWAYO_STACK_DIR=$B_DIR"
}

stop() {
  [ -d "$B_DIR" ] || return 0
  local i
  for ((i = ${#PARTS[@]} - 1; i >= 0; i--)); do in_b "${PARTS[$i]}" stop; done
  rm -f "$B_DIR/env.d/cluster-b.env" "$B_DIR/env"
}

"${1:?usage: $0 install|start|stop}"
