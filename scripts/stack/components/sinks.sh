#!/usr/bin/env bash
# Receivers standing in for Slack webhooks, PagerDuty Events v2, an SMTP relay, the monitoring health
# endpoint and Elasticsearch (test/fixtures/sinks). HTTP on 18080, SMTP on 12525.
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/stack/fixtures.sh"
HTTP_PORT=18080 SMTP_PORT=12525
# Test-only credentials of the sinks; the worker reads them from the environment like real ones.
ROUTING_KEY=hwayotestroutingkey0000000000001 SMTP_USER=hwayo-release SMTP_PASS=sink-password

install() {
  [ -d "$REPO_ROOT/node_modules/smtp-server" ] || { slog "npm package smtp-server missing: run npm ci"; exit 1; }
  build_fixtures
}

start() {
  run_fixture sinks sinks/main.js --http-port $HTTP_PORT --smtp-port $SMTP_PORT --routing-key $ROUTING_KEY \
    --smtp-user $SMTP_USER --smtp-pass $SMTP_PASS
  wait_for sinks 20 curl -fsS http://127.0.0.1:$HTTP_PORT/received
  wait_for sinks 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT"
  local base=http://127.0.0.1:$HTTP_PORT
  write_env sinks \
    SINKS_URL=$base \
    SLACK_WEBHOOK_URL_HWAYO_CRITICAL=$base/slack/hwayo-critical \
    SLACK_WEBHOOK_URL_HWAYO_ALERTS=$base/slack/hwayo-alerts \
    SLACK_WEBHOOK_URL_HWAYO_RELEASES=$base/slack/hwayo-releases \
    PAGERDUTY_EVENTS_URL=$base/v2/enqueue \
    PAGERDUTY_ROUTING_KEY=$ROUTING_KEY \
    SMTP_URL=smtp://$SMTP_USER:$SMTP_PASS@127.0.0.1:$SMTP_PORT \
    MONITORING_HEALTH_URL=$base/monitoring/health \
    ELASTICSEARCH_URL=$base
}

stop() {
  stop_bg sinks
  rm -f "$HWAYO_STACK_DIR/env.d/sinks.env"
}

"${1:?usage: $0 install|start|stop}"
