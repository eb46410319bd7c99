#!/usr/bin/env bash
# Prometheus (Debian package with promtool, pinned in scripts/install/prometheus.sh) scraping two instances of
# our test application (test/fixtures/metrics-app): green/canary on 19100, blue/stable on 19101, every second.
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/install/lib.sh"
source "$REPO_ROOT/scripts/stack/fixtures.sh"
PROM_PORT=${HWAYO_PROMETHEUS_PORT:-19090}
GREEN_PORT=${HWAYO_METRICS_APP_GREEN_PORT:-19100} BLUE_PORT=${HWAYO_METRICS_APP_BLUE_PORT:-19101}
# HWAYO_PROMETHEUS_APPS_ONLY=1: a second one, for the Temporal cluster's releases (cluster-b.sh): the metrics apps
# only, no alerts (the stack's Alertmanager and sinks are the first one's).
APPS_ONLY=${HWAYO_PROMETHEUS_APPS_ONLY:-0}
BLUE_NS=hwayo-production GREEN_NS=hwayo-production-green
DIR="$HWAYO_STACK_DIR/prometheus"

install() {
  bash "$REPO_ROOT/scripts/install/prometheus.sh"
  build_fixtures
}

# traefik_job JOB CLUSTER PORT, pods_job JOB CLUSTER PORT: one cluster's gateway and stand-in pods; the job label
# is the same in every cluster (traefik, hwayo-pods), `cluster` tells them apart.
traefik_job() {
  cat >>"$DIR/prometheus.yml" <<YML
  - job_name: $1
    static_configs:
      - { targets: ['127.0.0.1:$3'], labels: { cluster: $2 } }
    relabel_configs:
      - { target_label: job, replacement: traefik }
YML
}
pods_job() {
  cat >>"$DIR/prometheus.yml" <<YML
  - job_name: $1
    http_sd_configs:
      - { url: 'http://127.0.0.1:$3/sd/pods', refresh_interval: 1s }
    relabel_configs:
      - { target_label: cluster, replacement: $2 }
      - { target_label: job, replacement: hwayo-pods }
YML
}

# The data plane, when it runs (up.sh starts kube, traefik and dataplane before prometheus): Traefik's
# per-service metrics, and the stand-in pods the runner found through the apiserver.
# The pods' namespace goes into `kubernetes_namespace`, not `namespace`: the two apps above already own
# `namespace="hwayo-production(-green)"` and their seed series must not be summed with the pods'.
# Each cluster's series carry `cluster` (a, or b for region b: components/region-b.sh, when it runs).
dataplane_jobs() {
  if [ -f "$HWAYO_STACK_DIR/env.d/traefik.env" ]; then traefik_job traefik a 18082; fi
  # Debian's Prometheus is built without kubernetes_sd_configs; the pod runner, which watches the pods
  # through the apiserver, serves them as HTTP service discovery instead (same targets and labels).
  if [ -f "$HWAYO_STACK_DIR/env.d/dataplane.env" ]; then pods_job hwayo-pods a 18001; fi
  if [ -f "$HWAYO_STACK_DIR/env.d/region-b.env" ]; then traefik_job traefik-b b 28082; pods_job hwayo-pods-b b 28001; fi
}

# The exporters (components/exporters.sh, started after postgres and redis) write these target files when
# they start and remove them when they stop: without them the jobs have no targets, so no `up` of 0.
# Every 2 s: postgres_exporter takes 1 s to answer `pg_up 0` when it cannot log in, and a 1 s timeout
# would turn that into `up 0`, which a production scrape (10 s timeout) never sees.
exporter_jobs() {
  mkdir -p "$DIR/targets"
  for job in postgresql redis node; do
    printf '  - { job_name: %s, scrape_interval: 2s, scrape_timeout: 2s, %s }\n' "$job" \
      "file_sd_configs: [{ files: ['$DIR/targets/$job*.json'], refresh_interval: 1s }]" >>"$DIR/prometheus.yml"
  done
}

write_config() {
  # Fresh TSDB each start: samples of an earlier run would make rates and readiness lie.
  rm -rf "$DIR/data"; mkdir -p "$DIR/data"
  cat >"$DIR/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
YML
  # The seed's alerts (for: shortened to 1s, stack only: a test waits seconds, not minutes), sent to the stack's
  # Alertmanager (alertmanager.sh; when it is not up, Prometheus retries).
  [ "$APPS_ONLY" = 1 ] || cat >>"$DIR/prometheus.yml" <<YML
rule_files: [$DIR/alerts.seed.yml]
alerting:
  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:19093'] }] }]
YML
  cat >>"$DIR/prometheus.yml" <<YML
scrape_configs:
  - job_name: hwayo-apps
    static_configs:
      - targets: ['127.0.0.1:$BLUE_PORT']
        labels: { namespace: $BLUE_NS, side: blue }
      - targets: ['127.0.0.1:$GREEN_PORT']
        labels: { namespace: $GREEN_NS, side: green }
YML
  [ "$APPS_ONLY" = 1 ] || { dataplane_jobs; exporter_jobs; }
  sed -E 's/^( +for: ).*/\11s/' "$REPO_ROOT/deploy/prometheus/alerts.seed.yml" >"$DIR/alerts.seed.yml"
  promtool check config "$DIR/prometheus.yml" >/dev/null
}

start() {
  # A running Prometheus keeps its config and data (start is idempotent).
  local pidfile="$HWAYO_STACK_DIR/pids/prometheus.pid"
  { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; } || write_config
  run_fixture metrics-app-blue metrics-app/main.js --port $BLUE_PORT --namespace $BLUE_NS \
    --peer "$GREEN_NS=http://127.0.0.1:$GREEN_PORT"
  run_fixture metrics-app-green metrics-app/main.js --port $GREEN_PORT --namespace $GREEN_NS \
    --peer "$BLUE_NS=http://127.0.0.1:$BLUE_PORT"
  start_bg prometheus prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
    --web.listen-address=127.0.0.1:$PROM_PORT --storage.tsdb.retention.time=2h --web.enable-lifecycle
  wait_for metrics-app-blue 20 curl -fsS http://127.0.0.1:$BLUE_PORT/metrics
  wait_for metrics-app-green 20 curl -fsS http://127.0.0.1:$GREEN_PORT/metrics
  wait_for prometheus 60 curl -fsS http://127.0.0.1:$PROM_PORT/-/ready
  # Ready means both apps have been scraped at least once (the data plane adds targets of its own).
  wait_for prometheus 30 bash -c "curl -fsS -G 'http://127.0.0.1:$PROM_PORT/api/v1/query' \
    --data-urlencode 'query=count(up{job=\"hwayo-apps\"}==1)' | grep -q '\"2\"'"
  write_env prometheus \
    PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT \
    METRICS_APP_GREEN_URL=http://127.0.0.1:$GREEN_PORT \
    METRICS_APP_BLUE_URL=http://127.0.0.1:$BLUE_PORT \
    "HWAYO_HEALTH_URL_TEMPLATE='http://127.0.0.1:$GREEN_PORT/ns/{{namespace}}/{{service}}{{path}}'"
}

stop() {
  stop_bg prometheus
  stop_bg metrics-app-green
  stop_bg metrics-app-blue
  rm -f "$HWAYO_STACK_DIR/env.d/prometheus.env"
}

"${1:?usage: $0 install|start|stop}"
