#!/usr/bin/env bash
# Redis (Debian redis-server) on 127.0.0.1:16379, no persistence: state lives only while the stack runs.
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/install/lib.sh"
REDIS_VERSION=5:7.0.15-1~deb12u10
PORT=${HWAYO_REDIS_PORT:-16379}
DIR="$HWAYO_STACK_DIR/redis"

install() {
  local installed; installed=$(dpkg-query -W -f='${Version}' redis-server 2>/dev/null || true)
  [ "$installed" = "$REDIS_VERSION" ] || apt_install "redis-server=$REDIS_VERSION" "redis-tools=$REDIS_VERSION"
}

start() {
  mkdir -p "$DIR"
  start_bg redis redis-server --bind 127.0.0.1 --port $PORT --dir "$DIR" --save '' --appendonly no --daemonize no
  wait_for redis 20 bash -c "redis-cli -h 127.0.0.1 -p $PORT ping | grep -q PONG"
  write_env redis REDIS_URL=redis://127.0.0.1:$PORT
}

stop() {
  stop_bg redis
  rm -f "$HWAYO_STACK_DIR/env.d/redis.env"
}

"${1:?usage: $0 install|start|stop}"
