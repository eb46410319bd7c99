#!/usr/bin/env bash
# The whole test suite on a fresh clone: installs what is missing (npm packages, the Temporal test
# server and dev server, every local-stack component), starts the stack, typechecks, lints, runs every
# jest suite, stops the stack, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
RESULTS="$REPO/.jest-results.json"
log() { printf '[test] %s\n' "$*" >&2; }
# Node >= 22 first on PATH: the pinned one (scripts/install/node.sh) when the machine's is older.
NODE_BIN=$(bash scripts/install/node.sh) || { log "installing Node failed"; echo "0 passed, 1 failed"; exit 1; }
[ -z "$NODE_BIN" ] || export PATH="$NODE_BIN:$PATH"
log "node $(node --version), npm $(npm --version)"

stop_stack() { bash scripts/stack/down.sh >/dev/null 2>&1 || true; }
trap stop_stack EXIT
# A run stopped by a signal (a CI timeout, Ctrl-C) still stops the stack: exit runs the EXIT trap.
trap 'exit 143' TERM
trap 'exit 130' INT

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"; npm ci --no-audit --no-fund >&2 || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
for tool in temporal alertmanager chromium; do
  bash "scripts/install/$tool.sh" || { log "installing $tool failed"; echo "0 passed, 1 failed"; exit 1; }
done
log "starting the local stack (first run builds Kubernetes from source: ~10 min)"
if ! bash scripts/stack/up.sh; then
  log "the local stack did not start; see .stack/logs"
  tail -n 20 .stack/logs/*.log >&2 2>/dev/null || true
  echo "0 passed, 1 failed"; exit 1
fi

rm -f "$RESULTS"
status=0
log "typecheck"; npm run -s typecheck || status=1
log "lint"; npm run -s lint || status=1
log "jest"
npx jest --runInBand --forceExit --selectProjects unit workflows integration --json --outputFile="$RESULTS" || status=1

node -e '
  const fs = require("fs");
  const f = process.argv[1];
  if (!fs.existsSync(f)) { console.log("0 passed, 1 failed"); process.exit(0); }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  // Suites that failed to run count as failures too.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
' "$RESULTS"
exit $status
