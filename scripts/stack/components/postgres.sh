#!/usr/bin/env bash
# PostgreSQL (Debian postgresql-15) with its own cluster under .stack, on 127.0.0.1:15432. We run as
# root and postgres refuses root, so the cluster belongs to the `postgres` user.
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/install/lib.sh"
PG_PACKAGE_VERSION=15.18-0+deb12u1
PG_BIN=/usr/lib/postgresql/15/bin
PORT=${HWAYO_POSTGRES_PORT:-15432} DB=hwayo DB_USER=hwayo DB_PASS=hwayo-local
# The postgres user must reach the cluster's directory, and a clone may sit under a directory only
# root can enter (mktemp -d, /root): the cluster lives in /var/tmp, one per stack directory.
DIR="/var/tmp/hwayo-release-postgres/$(printf '%s' "$HWAYO_STACK_DIR" | md5sum | cut -c1-12)"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

install() {
  local installed; installed=$(dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null || true)
  [ "$installed" = "$PG_PACKAGE_VERSION" ] || apt_install "postgresql-15=$PG_PACKAGE_VERSION"
}

start() {
  mkdir -p "$DIR/run"
  chmod 755 /var/tmp/hwayo-release-postgres
  chown postgres:postgres "$DIR" "$DIR/run"
  ln -sfn "$DIR" "$HWAYO_STACK_DIR/postgres"
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    printf '%s\n' "$DB_PASS" >"$DIR/pwfile"; chown postgres "$DIR/pwfile"
    as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$DIR/pwfile" >/dev/null
    rm -f "$DIR/pwfile"
  fi
  start_bg postgres setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" -D "$DIR/data" \
    -c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories="$DIR/run" -c fsync=off -c max_connections=200
  wait_for postgres 30 "$PG_BIN/pg_isready" -h 127.0.0.1 -p $PORT
  # The application role and database (idempotent). max_connections: the two Temporal nodes of
  # temporal-cluster hold up to 112 (deploy/temporal/server.env), the worker and tests the rest.
  as_pg psql -h "$DIR/run" -p $PORT -U postgres -v ON_ERROR_STOP=1 -q -d postgres <<SQL
SELECT 'CREATE ROLE $DB_USER LOGIN PASSWORD ''$DB_PASS'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER')\gexec
SELECT 'CREATE DATABASE $DB OWNER $DB_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB')\gexec
SQL
  write_env postgres DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB
}

stop() {
  # Fast shutdown: a TERM would wait for clients (smart mode).
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$DIR/data" -m fast -w >/dev/null 2>&1 || true
  fi
  stop_bg postgres
  rm -f "$HWAYO_STACK_DIR/env.d/postgres.env"
}

"${1:?usage: $0 install|start|stop}"
