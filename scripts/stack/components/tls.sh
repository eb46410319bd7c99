#!/usr/bin/env bash
# TLS endpoints for the certificate check: a local CA signs six certificates (valid, expired, not yet
# valid, wrong host, expiring in 5 days, valid but served with TLS 1.2 at most), regenerated at every
# start since validity is relative to now. Served by test/fixtures/tls-server on 127.0.0.1:18443-18448.
source "$(dirname "$0")/../lib.sh"
source "$REPO_ROOT/scripts/install/lib.sh"
source "$REPO_ROOT/scripts/stack/fixtures.sh"
OPENSSL_VERSION=3.0.19-1~deb12u2
DIR="$HWAYO_STACK_DIR/tls"
HOSTS="DNS:localhost,DNS:hwayo.com,IP:127.0.0.1"
# name port subjectAltName start end (relative to now, as `date -d` understands) [highest TLS version]
ENDPOINTS=(
  "valid 18443 $HOSTS -1day +365days"
  "expired 18444 $HOSTS -90days -1day"
  "not-yet-valid 18445 $HOSTS +2days +365days"
  "wrong-host 18446 DNS:wrong-host.hwayo.invalid -1day +365days"
  "expiring-soon 18447 $HOSTS -60days +5days"
  "tls12-only 18448 $HOSTS -1day +365days TLSv1.2"
)

install() {
  local installed; installed=$(dpkg-query -W -f='${Version}' openssl 2>/dev/null || true)
  [ "$installed" = "$OPENSSL_VERSION" ] || apt_install "openssl=$OPENSSL_VERSION"
  build_fixtures
}

stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

generate() {
  rm -rf "$DIR"; mkdir -p "$DIR/ca/new"
  : >"$DIR/ca/index.txt"; echo 1000 >"$DIR/ca/serial"
  cat >"$DIR/ca/ca.cnf" <<CNF
[ca]
default_ca = local
[local]
dir = $DIR/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/new
certificate = $DIR/ca.pem
private_key = $DIR/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
CNF
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$DIR/ca.key" \
    -out "$DIR/ca.pem" -days 3650 -subj "/CN=hwayo-release local test CA" 2>/dev/null
  for e in "${ENDPOINTS[@]}"; do
    read -r name _port san from to _ <<<"$e"
    local cn="${san%%,*}"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$DIR/$name.key" \
      -out "$DIR/$name.csr" -subj "/CN=${cn#DNS:}" 2>/dev/null
    printf '[ext]\nsubjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" >"$DIR/$name.ext"
    openssl ca -batch -notext -config "$DIR/ca/ca.cnf" -in "$DIR/$name.csr" -out "$DIR/$name.pem" \
      -startdate "$(stamp "$from")" -enddate "$(stamp "$to")" -extfile "$DIR/$name.ext" -extensions ext 2>/dev/null
  done
}

start() {
  local pidfile="$HWAYO_STACK_DIR/pids/tls.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then slog "tls already running"; return 0; fi
  generate
  local args=() vars=("HWAYO_TLS_CA_FILE=$DIR/ca.pem" "TLS_HOST=localhost")
  for e in "${ENDPOINTS[@]}"; do
    read -r name port _ _ _ maxver <<<"$e"
    args+=("$port=$DIR/$name.pem:$DIR/$name.key${maxver:+:$maxver}")
    vars+=("TLS_$(echo "$name" | tr 'a-z-' 'A-Z_')_PORT=$port")
  done
  run_fixture tls tls-server/main.js "${args[@]}"
  for e in "${ENDPOINTS[@]}"; do
    read -r _ port _ <<<"$e"
    wait_for tls 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  done
  write_env tls "${vars[@]}"
}

stop() {
  stop_bg tls
  rm -f "$HWAYO_STACK_DIR/env.d/tls.env"
}

"${1:?usage: $0 install|start|stop}"
