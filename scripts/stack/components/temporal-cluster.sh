#!/usr/bin/env bash
# The production topology of Temporal on one machine: two server nodes (each runs frontend, history,
# matching and worker) on the stack's PostgreSQL (cluster-b.sh: region b's own), one cluster through
# ringpop membership (broadcast address 127.0.0.1, peers found in the cluster_membership table), behind
# a TCP load balancer that is TEMPORAL_ADDRESS. Server, schema tool and tdbg are built from
# go.temporal.io/server (version pinned in scripts/stack/temporal-build/go.mod) and cached under
# $HWAYO_CACHE like the kube binaries.
# The Web UI is github.com/temporalio/ui-server/v2 (scripts/stack/temporal-build/ui/go.mod). The server
# configuration is deploy/temporal/server.env + dynamicconfig.yaml, shared with docker-compose.
# Authorization: the server is ours (scripts/stack/temporal-build/cmd/hwayo-temporal-server: the stock
# server plus JWT claims and per-namespace roles); tokens come from a key pair generated here
# (test/fixtures/temporal-auth), one per role under $HWAYO_STACK_DIR/temporal-cluster/auth/tokens.
# Usage: temporal-cluster.sh install|start|stop
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/stack/fixtures.sh"

TEMPORAL_SERVER_VERSION=v1.32.2
# v1.32.2 needs Go >= 1.26.10: older local toolchains fetch it from the module proxy (golang.org/toolchain).
GO_TOOLCHAIN=go1.26.10
BUILD_DIR="$REPO_ROOT/scripts/stack/temporal-build"
BIN="$HWAYO_CACHE/temporal-server/$TEMPORAL_SERVER_VERSION"
TEMPORAL="$HWAYO_CACHE/bin/temporal"
PG_PORT=${HWAYO_POSTGRES_PORT:-15432}
DB_USER=temporal DB_PASS=temporal-local
LB_PORT=${HWAYO_TEMPORAL_CLUSTER_PORT:-17240}
# Node n's ports start at NODE_BASE[n]: frontend gRPC, HTTP, membership; history gRPC, membership;
# matching gRPC, membership; worker gRPC, membership; Prometheus metrics.
NODE_BASE=(17241 17251)
# Node n's internal frontend (the server's own system workers call it, with no token): gRPC, HTTP,
# membership. Loopback only; the stack's setup and tdbg use node 1's as the platform admin would.
INTERNAL_BASE=(17261 17271)
AUTH_DIR="$HWAYO_STACK_DIR/temporal-cluster/auth"
# Our server's binary is named by the hash of its sources: an edit never reuses a stale build.
SERVER_SRC_HASH=$(cd "$BUILD_DIR" && cat go.mod go.sum cmd/hwayo-temporal-server/*.go authz/*.go |
  sha256sum | cut -c1-12)
SERVER="$BIN/hwayo-temporal-server-$SERVER_SRC_HASH"
UI_PORT=${HWAYO_TEMPORAL_CLUSTER_UI_PORT:-18240}
UI_VERSION=v2.58.1
UI_BIN="$HWAYO_CACHE/temporal-ui/$UI_VERSION/temporal-ui-server"
# Closed histories and their visibility records are archived to S3 (moto here; s3store, our server's
# TEMPORAL_ARCHIVAL_S3_* settings), so a release outlives the namespace retention (docs/governance.md).
# The bucket is seeded by moto.sh (scripts/stack/seed/moto_seed.py); an archival URI never changes.
ARCHIVE_URI=s3://hwayo-temporal-archive
MOTO_ENDPOINT=http://127.0.0.1:${HWAYO_MOTO_PORT:-15000} MOTO_REGION=ap-northeast-1

# build MODULE_DIR PACKAGE OUTPUT: one binary at a time, niced (2 shared cores), written atomically;
# -mod=readonly: the committed go.sum is the pin, a build never changes it.
build() {
  local dir=$1 pkg=$2 out=$3
  [ -x "$out" ] && return 0
  slog "building $(basename "$out") from $pkg (cold builds take minutes)"
  mkdir -p "$(dirname "$out")"
  local t0; t0=$(date +%s)
  (cd "$dir" && GOTOOLCHAIN=$GO_TOOLCHAIN GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 nice -n 10 \
    go build -trimpath -ldflags "-s -w" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  slog "built $(basename "$out") in $(( $(date +%s) - t0 )) s"
}

install() {
  bash "$REPO_ROOT/scripts/install/temporal.sh"
  if [ ! -x "$SERVER" ] || [ ! -x "$BIN/temporal-sql-tool" ] || [ ! -x "$BIN/tdbg" ] ||
    [ ! -d "$BIN/schema" ]; then
    command -v go >/dev/null || { slog "go is required to build the Temporal server"; exit 1; }
    mkdir -p "$BIN"
    # The authorizer's decision table (authz/authz_test.go) gates the build of the server.
    [ -x "$SERVER" ] || (cd "$BUILD_DIR" && GOTOOLCHAIN=$GO_TOOLCHAIN GOFLAGS="-mod=readonly -buildvcs=false" \
      CGO_ENABLED=0 nice -n 10 go test -trimpath ./authz >&2)
    build "$BUILD_DIR" ./cmd/hwayo-temporal-server "$SERVER"
    build "$BUILD_DIR" go.temporal.io/server/cmd/tools/sql "$BIN/temporal-sql-tool"
    build "$BUILD_DIR" go.temporal.io/server/cmd/tools/tdbg "$BIN/tdbg"
    # The SQL schema ships in the module, not in the binaries: keep the version's copy beside them.
    if [ ! -d "$BIN/schema" ]; then
      local dir
      dir=$(cd "$BUILD_DIR" &&
        GOTOOLCHAIN=$GO_TOOLCHAIN GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' go.temporal.io/server)
      rm -rf "$BIN/schema.tmp" && mkdir -p "$BIN/schema.tmp" && cp -r "$dir/schema/postgresql" "$BIN/schema.tmp/" &&
        chmod -R u+w "$BIN/schema.tmp"
      mv "$BIN/schema.tmp" "$BIN/schema"
    fi
  fi
  # The Web UI (its built assets are embedded in the module).
  [ "${HWAYO_TEMPORAL_CLUSTER_UI:-1}" = 0 ] ||
    build "$BUILD_DIR/ui" github.com/temporalio/ui-server/v2/cmd/server "$UI_BIN"
}

psql_admin() {
  setpriv --reuid=postgres --regid=postgres --init-groups \
    psql -h "$(pg_socket_dir)" -p $PG_PORT -U postgres -v ON_ERROR_STOP=1 -q "$@"
}
sql_tool() {
  "$BIN/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p $PG_PORT -u $DB_USER --pw $DB_PASS "$@" \
    >>"$HWAYO_STACK_DIR/logs/temporal-schema.log" 2>&1
}

# The role, both databases and their schemas at the built version (idempotent: update-schema only
# applies versions newer than the database's).
schema() {
  psql_admin -d postgres <<SQL
SELECT 'CREATE ROLE $DB_USER LOGIN PASSWORD ''$DB_PASS'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER')\gexec
SELECT 'CREATE DATABASE temporal OWNER $DB_USER'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'temporal')\gexec
SELECT 'CREATE DATABASE temporal_visibility OWNER $DB_USER'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'temporal_visibility')\gexec
SQL
  local db dir
  for db in temporal temporal_visibility; do
    dir="$BIN/schema/postgresql/v12/$([ $db = temporal ] && echo temporal || echo visibility)/versioned"
    if [ -z "$(psql_admin -d $db -tAc "SELECT to_regclass('public.schema_version')")" ]; then
      sql_tool --db $db setup-schema -v 0.0
    fi
    sql_tool --db $db update-schema -d "$dir"
  done
}

# node_env N: the environment of node N: the shared server.env, then this stack's connection and ports.
node_env() {
  local base=${NODE_BASE[$1-1]} internal=${INTERNAL_BASE[$1-1]}
  grep -E '^[A-Z_]+=' "$REPO_ROOT/deploy/temporal/server.env"
  cat <<EOF
POSTGRES_SEEDS=127.0.0.1
DB_PORT=$PG_PORT
POSTGRES_USER=$DB_USER
POSTGRES_PWD=$DB_PASS
DYNAMIC_CONFIG_FILE_PATH=$REPO_ROOT/deploy/temporal/dynamicconfig.yaml
BIND_ON_IP=127.0.0.1
TEMPORAL_BROADCAST_ADDRESS=127.0.0.1
FRONTEND_GRPC_PORT=$base
FRONTEND_HTTP_PORT=$((base + 1))
FRONTEND_MEMBERSHIP_PORT=$((base + 2))
HISTORY_GRPC_PORT=$((base + 3))
HISTORY_MEMBERSHIP_PORT=$((base + 4))
MATCHING_GRPC_PORT=$((base + 5))
MATCHING_MEMBERSHIP_PORT=$((base + 6))
WORKER_GRPC_PORT=$((base + 7))
WORKER_MEMBERSHIP_PORT=$((base + 8))
PROMETHEUS_ENDPOINT=127.0.0.1:$((base + 9))
USE_INTERNAL_FRONTEND=true
INTERNAL_FRONTEND_GRPC_PORT=$internal
INTERNAL_FRONTEND_HTTP_PORT=$((internal + 1))
INTERNAL_FRONTEND_MEMBERSHIP_PORT=$((internal + 2))
TEMPORAL_JWT_KEY_SOURCE1=file://$AUTH_DIR/jwks.json
TEMPORAL_ARCHIVAL_S3_URI=$ARCHIVE_URI
TEMPORAL_ARCHIVAL_S3_REGION=$MOTO_REGION
TEMPORAL_ARCHIVAL_S3_ENDPOINT=$MOTO_ENDPOINT
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
EOF
}

frontend() { echo "127.0.0.1:${NODE_BASE[$1-1]}"; }
# Node N's internal frontend: admin without a token (loopback only).
internal() { echo "127.0.0.1:${INTERNAL_BASE[$1-1]}"; }
# TEMPORAL_CLUSTER_NODES entry: N=frontend/history gRPC port/internal frontend.
node_entry() { echo "$1=$(frontend "$1")/$((NODE_BASE[$1-1] + 3))/$(internal "$1")"; }

start_node() {
  local n=$1
  local -a envs; mapfile -t envs < <(node_env "$n")
  start_bg "temporal-node-$n" env "${envs[@]}" "$SERVER" start
  wait_for "temporal-node-$n" 120 "$TEMPORAL" operator cluster health --address "$(frontend "$n")"
  wait_for "temporal-node-$n" 60 "$TEMPORAL" operator cluster health --address "$(internal "$n")"
}

stop_node() { stop_bg "temporal-node-$1"; }

# Members of SERVICE's ring as node N sees them (tdbg reads the admin API of the node's frontend).
ring_size() {
  "$BIN/tdbg" --address "$(internal "$1")" membership list-gossip --role "$2" 2>/dev/null |
    grep -o '"member_count": *[0-9]*' | grep -o '[0-9]*$' || echo 0
}
both_in_rings() {
  local s
  for s in frontend history matching worker; do [ "$(ring_size 1 "$s")" -ge 2 ] || return 1; done
}

# The Web UI against the balancer, with the codec server when one is configured (as the dev server's).
start_ui() {
  local dir="$HWAYO_STACK_DIR/temporal-cluster/ui"
  mkdir -p "$dir/config"
  cat >"$dir/config/development.yaml" <<EOF
temporalGrpcAddress: 127.0.0.1:$LB_PORT
host: 127.0.0.1
port: $UI_PORT
enableUi: true
defaultNamespace: default
refreshInterval: 1m
disableNewsFetch: true
notifyOnNewVersion: false
cors:
  allowOrigins: [http://127.0.0.1:$UI_PORT, http://localhost:$UI_PORT]
codec:
  endpoint: ${HWAYO_TEMPORAL_CODEC_ENDPOINT:-}
EOF
  start_bg temporal-ui "$UI_BIN" --root "$dir" --env development start
  wait_for temporal-ui 30 ui_ready
}
# The UI forwards the caller's Authorization header; the token goes on stdin, not in the process list.
ui_ready() {
  curl -fsS -K - "http://127.0.0.1:$UI_PORT/api/v1/namespaces/default" \
    <<<"header = \"Authorization: Bearer $(cat "$AUTH_DIR/tokens/reader.jwt")\""
}

# archived_namespace NS: NS exists with history and visibility archival to ARCHIVE_URI (created or updated);
# fails (1) when it had to be created.
archived_namespace() {
  local ns=$1 flags=(--history-archival-state enabled --history-uri "$ARCHIVE_URI"
    --visibility-archival-state enabled --visibility-uri "$ARCHIVE_URI")
  local info
  if ! info=$("$TEMPORAL" operator namespace describe --address "$(internal 1)" --namespace "$ns" -o json 2>/dev/null)
  then
    "$TEMPORAL" operator namespace create --address "$(internal 1)" --namespace "$ns" --retention 72h \
      "${flags[@]}" >/dev/null
    return 1
  fi
  grep -q "\"historyArchivalUri\": *\"$ARCHIVE_URI\"" <<<"$info" &&
    grep -q "\"visibilityArchivalUri\": *\"$ARCHIVE_URI\"" <<<"$info" && return 0
  "$TEMPORAL" operator namespace update --address "$(internal 1)" --namespace "$ns" "${flags[@]}" >/dev/null || {
    slog "temporal-cluster: namespace $ns archives elsewhere (an archival URI never changes): rm -rf .stack"
    exit 1
  }
}

start() {
  bash "$REPO_ROOT/scripts/stack/components/postgres.sh" start
  # The archive bucket lives in moto (started here when the stack runs without it).
  local moto="$REPO_ROOT/scripts/stack/components/moto.sh"
  [ -f "$HWAYO_STACK_DIR/env.d/moto.env" ] || { bash "$moto" install && bash "$moto" start; }
  schema
  # The key pair (kept) and fresh tokens; the servers read the JWKS at start and every minute.
  build_fixtures
  node "$HWAYO_STACK_DIR/fixtures/temporal-auth/tokens.js" "$AUTH_DIR" default
  start_node 1
  # Namespace and search attributes, as docker-compose's auto-setup and register-search-attributes do.
  local fresh=0
  archived_namespace default || fresh=1
  # A namespace just created reaches the node's namespace cache within ~10 s: until then registering
  # its search attributes fails with "Namespace default is not found". Retry for up to 60 s.
  local out="" tries=0
  until out=$(TEMPORAL_CLI="$TEMPORAL" TEMPORAL_ADDRESS="$(internal 1)" TEMPORAL_NAMESPACE=default \
    bash "$REPO_ROOT/scripts/register-search-attributes.sh" 2>&1); do
    tries=$((tries + 1))
    [ $tries -lt 30 ] || { slog "temporal-cluster: registering search attributes failed: $out"; exit 1; }
    sleep 2
  done
  grep -qv 'already registered' <<<"$out" && fresh=1
  # A node caches namespaces (10 s) and search attributes (60 s) from before they existed: restart
  # the first node on a fresh database rather than wait; the second starts after them.
  if [ $fresh = 1 ]; then
    slog "temporal-cluster: new namespace or search attributes: restarting node 1"
    stop_node 1
    start_node 1
  fi
  start_node 2
  wait_for temporal-node-2 60 both_in_rings
  run_fixture temporal-lb frontend-lb/main.js "$LB_PORT" "$(frontend 1)" "$(frontend 2)"
  wait_for temporal-lb 30 "$TEMPORAL" operator cluster health --address "127.0.0.1:$LB_PORT"
  # HWAYO_TEMPORAL_CLUSTER_UI=0: no Web UI (a headless cluster).
  local ui=()
  if [ "${HWAYO_TEMPORAL_CLUSTER_UI:-1}" != 0 ]; then start_ui; ui=(TEMPORAL_UI_URL=http://127.0.0.1:$UI_PORT); fi
  write_env temporal-cluster TEMPORAL_ADDRESS=127.0.0.1:$LB_PORT TEMPORAL_CLUSTER_ADDRESS=127.0.0.1:$LB_PORT \
    TEMPORAL_NAMESPACE=default HWAYO_CODEC=off \
    TEMPORAL_CLI="$TEMPORAL" TEMPORAL_TDBG="$BIN/tdbg" "${ui[@]}" HWAYO_TEMPORAL_TOKEN_DIR="$AUTH_DIR/tokens" \
    TEMPORAL_CLUSTER_NODES="$(node_entry 1),$(node_entry 2)"
}

stop() {
  stop_bg temporal-ui
  stop_bg temporal-lb
  stop_node 2
  stop_node 1
  rm -f "$HWAYO_STACK_DIR/env.d/temporal-cluster.env"
}

"${1:?usage: $0 install|start|stop}" "${@:2}"
