#!/usr/bin/env bash
# Debian's Prometheus exporters, pinned: postgres_exporter, redis_exporter and node_exporter, which
# scripts/stack/components/exporters.sh runs on loopback. Their services are not started (policy-rc.d in lib.sh).
source "$(dirname "$0")/lib.sh"
EXPORTERS=(
  prometheus-postgres-exporter=0.11.1-3+b5
  prometheus-redis-exporter=1.45.0-2+b4
  prometheus-node-exporter=1.5.0-1+b6
)
want=()
for pv in "${EXPORTERS[@]}"; do
  [ "$(dpkg-query -W -f='${Version}' "${pv%%=*}" 2>/dev/null || true)" = "${pv#*=}" ] || want+=("$pv")
done
[ ${#want[@]} -eq 0 ] || apt_install "${want[@]}"
for b in prometheus-postgres-exporter prometheus-redis-exporter prometheus-node-exporter; do
  command -v "$b" >/dev/null || { echo "install: $b missing after installing the exporters" >&2; exit 1; }
done
