#!/usr/bin/env bash
# Debian's Prometheus exporters (scripts/install/exporters.sh) on loopback: postgres_exporter for the stack's
# PostgreSQL (role hwayo_exporter, pg_monitor), redis_exporter for its Redis, node_exporter with the host's cpu,
# meminfo, filesystem and loadavg only. Each writes a file_sd target file that the stack's Prometheus reads
# (jobs postgresql, redis, node), so the alert rules' inputs are the exporters' real series.
source "$(dirname "$0")/../lib.sh"
PG_EXPORTER_PORT=19187 REDIS_EXPORTER_PORT=19121 NODE_EXPORTER_PORT=19110
PG_PORT=15432 REDIS_PORT=16379 PG_ROLE=hwayo_exporter PG_PASS=hwayo-exporter-local
TARGETS="$HWAYO_STACK_DIR/prometheus/targets"

install() { bash "$REPO_ROOT/scripts/install/exporters.sh"; }

# The role is (re)made able to log in on every start: a test that took LOGIN away may have been killed.
pg_role() {
  setpriv --reuid=postgres --regid=postgres --init-groups psql -h "$(pg_socket_dir)" -p $PG_PORT \
    -U postgres -v ON_ERROR_STOP=1 -q -d postgres <<SQL
SELECT 'CREATE ROLE $PG_ROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE')\gexec
ALTER ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASS';
GRANT pg_monitor TO $PG_ROLE;
SQL
}

# target JOB PORT: tells Prometheus (file_sd, see prometheus.sh) to scrape 127.0.0.1:PORT as JOB.
target() {
  mkdir -p "$TARGETS"
  printf '[{"targets":["127.0.0.1:%s"]}]\n' "$2" >"$TARGETS/$1.json.tmp"
  mv "$TARGETS/$1.json.tmp" "$TARGETS/$1.json"
}

start() {
  [ -S "$(pg_socket_dir)/.s.PGSQL.$PG_PORT" ] || { slog "exporters: start postgres first"; return 1; }
  pg_role
  DATA_SOURCE_NAME="postgresql://$PG_ROLE:$PG_PASS@127.0.0.1:$PG_PORT/postgres?sslmode=disable" \
    start_bg postgres-exporter prometheus-postgres-exporter --web.listen-address=127.0.0.1:$PG_EXPORTER_PORT
  start_bg redis-exporter prometheus-redis-exporter -redis.addr "redis://127.0.0.1:$REDIS_PORT" \
    -web.listen-address "127.0.0.1:$REDIS_EXPORTER_PORT"
  start_bg node-exporter prometheus-node-exporter --web.listen-address=127.0.0.1:$NODE_EXPORTER_PORT \
    --collector.disable-defaults --collector.cpu --collector.meminfo --collector.filesystem --collector.loadavg
  wait_for postgres-exporter 20 bash -c "curl -fsS http://127.0.0.1:$PG_EXPORTER_PORT/metrics | grep -q '^pg_up 1'"
  wait_for redis-exporter 20 bash -c "curl -fsS http://127.0.0.1:$REDIS_EXPORTER_PORT/metrics | grep -q '^redis_up 1'"
  wait_for node-exporter 20 curl -fsS http://127.0.0.1:$NODE_EXPORTER_PORT/metrics
  target postgresql $PG_EXPORTER_PORT; target redis $REDIS_EXPORTER_PORT; target node $NODE_EXPORTER_PORT
  write_env exporters POSTGRES_EXPORTER_ROLE=$PG_ROLE \
    POSTGRES_EXPORTER_URL=http://127.0.0.1:$PG_EXPORTER_PORT REDIS_EXPORTER_URL=http://127.0.0.1:$REDIS_EXPORTER_PORT \
    NODE_EXPORTER_URL=http://127.0.0.1:$NODE_EXPORTER_PORT
}

stop() {
  rm -f "$TARGETS/postgresql.json" "$TARGETS/redis.json" "$TARGETS/node.json"
  stop_bg node-exporter
  stop_bg redis-exporter
  stop_bg postgres-exporter
  rm -f "$HWAYO_STACK_DIR/env.d/exporters.env"
}

"${1:?usage: $0 install|start|stop}"
