#!/usr/bin/env bash
# Debian's prometheus-alertmanager: the stack's Alertmanager (scripts/stack/components/alertmanager.sh), and amtool
# (test/unit/prometheus-rules.test.ts checks
# deploy/alertmanager/alertmanager.yml with it). Its service is not started (policy-rc.d in lib.sh).
source "$(dirname "$0")/lib.sh"
ALERTMANAGER_VERSION=0.25.0-1+b4
installed=$(dpkg-query -W -f='${Version}' prometheus-alertmanager 2>/dev/null || true)
[ "$installed" = "$ALERTMANAGER_VERSION" ] || apt_install "prometheus-alertmanager=$ALERTMANAGER_VERSION"
command -v amtool >/dev/null || { echo "install: amtool missing after installing prometheus-alertmanager" >&2; exit 1; }
