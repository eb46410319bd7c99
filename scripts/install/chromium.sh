#!/usr/bin/env bash
# Debian's chromium for the UI test (test/integration/ui.test.ts drives it with playwright-core).
source "$(dirname "$0")/lib.sh"
apt_install chromium
command -v chromium >/dev/null && chromium --version >&2
