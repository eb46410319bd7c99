#!/usr/bin/env bash
# Alertmanager (Debian prometheus-alertmanager, pinned in scripts/install/alertmanager.sh) beside the stack's
# Prometheus, which sends it the seed's alerts (prometheus.sh). One route, to the release worker's webhook on
# loopback (src/worker/alert-webhook.ts) with a bearer token from a file of mode 0600 that this script makes.
# group_wait 0s (the seed's is 10 s): a firing alert reaches the release at once.
source "$(dirname "$0")/../lib.sh"
AM_PORT=19093 WEBHOOK_PORT=19466
DIR="$HWAYO_STACK_DIR/alertmanager"

install() { bash "$REPO_ROOT/scripts/install/alertmanager.sh"; }

write_config() {
  rm -rf "$DIR/data"; mkdir -p "$DIR/data"
  if [ ! -s "$DIR/webhook-token" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/webhook-token")
  fi
  cat >"$DIR/alertmanager.yml" <<YML
route:
  receiver: hwayo-release
  group_by: [alertname, namespace]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1m
receivers:
  - name: hwayo-release
    webhook_configs:
      - url: http://127.0.0.1:$WEBHOOK_PORT/alerts
        send_resolved: false
        http_config:
          authorization: { type: Bearer, credentials_file: $DIR/webhook-token }
YML
  amtool check-config "$DIR/alertmanager.yml" >/dev/null
}

start() {
  local pidfile="$HWAYO_STACK_DIR/pids/alertmanager.pid"
  { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; } || write_config
  start_bg alertmanager prometheus-alertmanager --config.file="$DIR/alertmanager.yml" \
    --storage.path="$DIR/data" --web.listen-address=127.0.0.1:$AM_PORT --cluster.listen-address=
  wait_for alertmanager 30 curl -fsS http://127.0.0.1:$AM_PORT/-/ready
  # Not HWAYO_ALERT_WEBHOOK_*: every worker the tests start would then bind the one port. A test that runs the
  # webhook reads these.
  write_env alertmanager ALERTMANAGER_URL=http://127.0.0.1:$AM_PORT \
    STACK_ALERT_WEBHOOK_TOKEN_FILE="$DIR/webhook-token" STACK_ALERT_WEBHOOK_PORT=$WEBHOOK_PORT
}

stop() {
  stop_bg alertmanager
  rm -f "$HWAYO_STACK_DIR/env.d/alertmanager.env"
}

"${1:?usage: $0 install|start|stop}"
