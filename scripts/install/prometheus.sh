#!/usr/bin/env bash
# Debian's prometheus, pinned: the stack's Prometheus and promtool, which test/unit/prometheus-rules.test.ts
# runs. Its service is not started (policy-rc.d in lib.sh); scripts/stack/components/prometheus.sh starts ours.
source "$(dirname "$0")/lib.sh"
PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1
installed=$(dpkg-query -W -f='${Version}' prometheus 2>/dev/null || true)
[ "$installed" = "$PROMETHEUS_VERSION" ] || apt_install "prometheus=$PROMETHEUS_VERSION"
command -v promtool >/dev/null || { echo "install: promtool missing after installing prometheus" >&2; exit 1; }
