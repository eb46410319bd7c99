#!/usr/bin/env bash
# Jaeger v2 (an OpenTelemetry Collector distribution) receiving release traces over OTLP on 127.0.0.1,
# keeping them in memory, and answering the query API and UI. Built from the Go module proxy (version
# pinned in scripts/stack/jaeger-build/go.mod) and cached under $HWAYO_CACHE like the kube binaries.
# Tracing stays off for the worker and the CLI unless OTEL_EXPORTER_OTLP_ENDPOINT is set: this writes
# JAEGER_OTLP_ENDPOINT for that, not the OTEL variable itself. Usage: jaeger.sh install|start|stop
# Ports can be moved with the variables below (a second Jaeger next to the stack's, for instance).
source "$(dirname "$0")/../lib.sh"

# Tag v1.76.0 of github.com/jaegertracing/jaeger is the Jaeger v2.13.0 release (the module path has no /v2).
JAEGER_MODULE_VERSION=v1.76.0
JAEGER_VERSION=v2.13.0
JAEGER_BIN="$HWAYO_CACHE/jaeger/$JAEGER_VERSION/jaeger"
OTLP_GRPC_PORT=${JAEGER_OTLP_GRPC_PORT:-14317}
OTLP_HTTP_PORT=${JAEGER_OTLP_HTTP_PORT:-14318}
QUERY_PORT=${JAEGER_QUERY_PORT:-16686}
QUERY_GRPC_PORT=${JAEGER_QUERY_GRPC_PORT:-16685}
HEALTH_PORT=${JAEGER_HEALTH_PORT:-13133}
DIR="$HWAYO_STACK_DIR/jaeger"

# One package, niced like the kube builds (2 shared cores; a cold build takes many minutes);
# -mod=readonly: the committed go.sum is the pin.
install() {
  [ -x "$JAEGER_BIN" ] && return 0
  command -v go >/dev/null || { slog "go is required to build jaeger"; exit 1; }
  slog "building jaeger $JAEGER_VERSION from github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" \
    "(cold builds take 10-20 minutes)"
  mkdir -p "$(dirname "$JAEGER_BIN")"
  local t0; t0=$(date +%s)
  (cd "$REPO_ROOT/scripts/stack/jaeger-build" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 nice -n 10 \
    go build -trimpath \
    -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION" \
    -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  slog "built jaeger in $(( $(date +%s) - t0 )) s"
}

write_config() {
  mkdir -p "$DIR"
  cat >"$DIR/config.yaml" <<YML
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource: { service.name: jaeger }
    metrics: { level: none }
    logs: { level: warn }
extensions:
  jaeger_storage:
    backends:
      memstore: { memory: { max_traces: 20000 } }
  jaeger_query:
    storage: { traces: memstore }
    http: { endpoint: "127.0.0.1:$QUERY_PORT" }
    grpc: { endpoint: "127.0.0.1:$QUERY_GRPC_PORT" }
  healthcheckv2:
    use_v2: true
    http: { endpoint: "127.0.0.1:$HEALTH_PORT" }
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:$OTLP_GRPC_PORT" }
      http: { endpoint: "127.0.0.1:$OTLP_HTTP_PORT" }
processors:
  batch: { timeout: 200ms }
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
YML
}

start() {
  [ -x "$JAEGER_BIN" ] || { slog "$JAEGER_BIN missing: run jaeger.sh install"; exit 1; }
  write_config
  start_bg jaeger "$JAEGER_BIN" --config "$DIR/config.yaml"
  wait_for jaeger 60 curl -fsS "http://127.0.0.1:$QUERY_PORT/api/services"
  write_env jaeger \
    JAEGER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_HTTP_PORT \
    JAEGER_QUERY_URL=http://127.0.0.1:$QUERY_PORT
  slog "jaeger up: OTLP http://127.0.0.1:$OTLP_HTTP_PORT (grpc :$OTLP_GRPC_PORT)," \
    "UI and query API http://127.0.0.1:$QUERY_PORT"
}

stop() {
  stop_bg jaeger
  rm -f "$HWAYO_STACK_DIR/env.d/jaeger.env"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
