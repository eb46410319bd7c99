#!/usr/bin/env bash
# AWS stand-in: moto's server mode (PyPI moto[server]) on 127.0.0.1:15000, seeded with the seed plan's
# RDS instance and snapshot, S3 buckets, WAF web ACL and security groups. State is in memory only.
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/install/lib.sh"
MOTO_VERSION=5.2.5
PORT=${HWAYO_MOTO_PORT:-15000} REGION=ap-northeast-1

install() {
  local stamp="$HWAYO_CACHE/.moto-$MOTO_VERSION"
  if [ ! -f "$stamp" ] || [ ! -x "$HWAYO_VENV/bin/moto_server" ]; then
    venv_pip_install "moto[server]==$MOTO_VERSION"
    touch "$stamp"
  fi
}

start() {
  start_bg moto "$HWAYO_VENV/bin/moto_server" -H 127.0.0.1 -p $PORT
  wait_for moto 60 curl -fsS -o /dev/null http://127.0.0.1:$PORT/moto-api/
  AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_REGION=$REGION \
    "$HWAYO_VENV/bin/python" "$REPO_ROOT/scripts/stack/seed/moto_seed.py" >>"$HWAYO_STACK_DIR/logs/moto.log" 2>&1 \
    || { slog "moto seeding failed:"; tail -n 20 "$HWAYO_STACK_DIR/logs/moto.log" >&2; return 1; }
  # The workers' release attestation key (docs/security.md), beside the reports it signs; kept across restarts.
  local key="$HWAYO_STACK_DIR/attestation.key"
  [ -s "$key" ] || (umask 077 && openssl rand -base64 32 >"$key")
  chmod 600 "$key"
  write_env moto AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_REGION=$REGION \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "HWAYO_ATTESTATION_KEY=$key"
}

stop() {
  stop_bg moto
  rm -f "$HWAYO_STACK_DIR/env.d/moto.env"
}

"${1:?usage: $0 install|start|stop}"
