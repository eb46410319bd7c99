#!/usr/bin/env bash
# The whole test suite on a fresh clone: installs what is missing (npm packages, the Temporal test
# server and dev server, every local-stack component), starts the stack, typechecks, lints, runs every
# jest suite, stops the stack, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
RESULTS="$REPO/.jest-results.json"
UNIT_RESULTS="$REPO/.jest-results-unit.json"
CHAOS_RESULTS="$REPO/.jest-chaos-results.json"
CLUSTER_RESULTS="$REPO/.jest-results-cluster.json"
WORKFLOW_RESULTS="$REPO/.jest-results-workflows.json"
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
# Every outside tool a test project runs (scripts/test-tools.sh holds the table) is installed here, before any
# project starts: the stack's start runs beside the first projects and must not be what installs their tools.
PROJECTS=(unit workflows integration chaos cluster)
t0=$(date +%s); log "tools the test projects run (scripts/test-tools.sh)"
if ! bash scripts/test-tools.sh install "${PROJECTS[@]}"; then
  log "installing the tests' tools failed"; echo "0 passed, 1 failed"; exit 1
fi
log "tools installed in $(( $(date +%s) - t0 )) s"
# jest_project PROJECT RESULTS [JEST ARGS...]: checks the project's tools first; a missing one is named and the
# project writes no results, which the last line counts as a failure. NICE="nice -n 10" runs jest niced.
jest_project() {
  local project=$1 results=$2; shift 2
  bash scripts/test-tools.sh check "$project" || { log "$project: a tool is missing, not run"; return 1; }
  ${NICE:-} npx jest --runInBand --forceExit --selectProjects "$project" --json --outputFile="$results" "$@"
}
CHECKS_FAILED="$REPO/.test-checks-failed"
# What needs no stack (static checks, the unit and workflow projects: CPU, no waiting) runs beside what does
# (the stack's start, then the integration project: mostly waiting on the stack), at nice 10 so that it takes
# the idle CPU and leaves the timing-sensitive tests theirs. Its output is printed once it is done. Each
# project's time is printed so growth is visible.
BESIDE_LOG="$REPO/.test-beside.log"
BESIDE_RESULTS="$REPO/.jest-results-integration-beside.json"
BESIDE_INTEGRATION='test/integration/(kubernetes|notify-crash)\.test\.ts$'
# Users' shares measured at the gateway need a quiet machine: with the beside work running, Traefik takes
# 1.6-2.3 s to apply a route (0.6 s on a quiet one), longer than these tests allow. So they run last, alone:
# the data-plane files and the end-to-end release (its users' shares, failures and blast radius too).
QUIET_RESULTS="$REPO/.jest-results-integration-quiet.json"
QUIET_INTEGRATION='test/integration/(dataplane|traefik-router|e2e-release)\.test\.ts$'
STACK_READY="$REPO/.test-stack-ready"
CLUSTER_LOG="$REPO/.test-cluster.log"
rm -f "$RESULTS" "$UNIT_RESULTS" "$CHAOS_RESULTS" "$CLUSTER_RESULTS" "$WORKFLOW_RESULTS" "$BESIDE_RESULTS" \
  "$QUIET_RESULTS" "$STACK_READY" "$CHECKS_FAILED" "$CLUSTER_LOG"
# in_group LOG FUNCTION: FUNCTION in the background, its output in LOG, its pid in $group_pid.
in_group() {
  set -m # its own process group, so that an early exit stops jest and the test server with it
  ("$2") >"$1" 2>&1 &
  group_pid=$!
  set +m
}
beside_work() {
  failed=0
  # A failed check is named in CHECKS_FAILED, which the last line counts.
  check() { local name=$1; shift; log "$name"; nice -n 10 "$@" || { failed=1; echo "$name" >>"$CHECKS_FAILED"; }; }
  # The static checks run beside the unit and workflow projects (the stack's start leaves a core idle).
  (
    check typecheck npm run -s typecheck
    check lint npm run -s lint
    check "format (prettier; TypeScript and shell lines <= 120)" npm run -s format:check
    exit $failed
  ) &
  checks_pid=$!
  t0=$(date +%s); log "jest unit"
  NICE="nice -n 10" jest_project unit "$UNIT_RESULTS" || failed=1
  log "unit took $(( $(date +%s) - t0 )) s"
  t0=$(date +%s); log "jest workflows (time-skipping server, fake activities)"
  NICE="nice -n 10" jest_project workflows "$WORKFLOW_RESULTS" || failed=1
  log "workflows took $(( $(date +%s) - t0 )) s"
  wait "$checks_pid" || failed=1
  # Then, on the stack once it is up (and dist/ built), the integration files that touch nothing another file
  # reads (their own namespaces, sinks and task queues; no routes, apps or releases of the stack's), mostly
  # waiting too: kubernetes.test.ts, and notify-crash.test.ts (its own sinks; it waits out two 30 s timeouts).
  until [ -e "$STACK_READY" ]; do sleep 2; done
  t0=$(date +%s); log "jest integration, $BESIDE_INTEGRATION (on the stack)"
  HWAYO_TEST_PORTS=high jest_project integration "$BESIDE_RESULTS" --testPathPattern "$BESIDE_INTEGRATION" || failed=1
  log "integration beside took $(( $(date +%s) - t0 )) s"
  exit $failed
}
in_group "$BESIDE_LOG" beside_work; beside_pid=$group_pid
stop_beside() { kill -- "-$beside_pid" 2>/dev/null || true; }
trap 'stop_beside; stop_stack' EXIT

# The worker's build (dist/), which integration, chaos and cluster files run as a process: built once here, beside
# the stack's start, instead of by the first file that needs it (ensureBuilt) while the suite waits.
BUILD_LOG="$REPO/.test-build.log"
nice -n 10 npm run -s build >"$BUILD_LOG" 2>&1 &
build_pid=$!
t0=$(date +%s)
log "starting the local stack (first run builds Kubernetes from source: ~10 min); checks, unit, workflows beside"
if ! bash scripts/stack/up.sh; then
  log "the local stack did not start; see .stack/logs"
  tail -n 20 .stack/logs/*.log >&2 2>/dev/null || true
  echo "0 passed, 1 failed"; exit 1
fi
log "stack up after $(( $(date +%s) - t0 )) s"
if ! wait "$build_pid"; then
  log "npm run build failed:"; cat "$BUILD_LOG" >&2; echo "0 passed, 1 failed"; exit 1
fi
touch "$STACK_READY"
status=0
t0=$(date +%s); log "jest integration (on the stack)"
HWAYO_TEST_PORTS=low jest_project integration "$RESULTS" \
  --testPathIgnorePatterns '/node_modules/' "$BESIDE_INTEGRATION" "$QUIET_INTEGRATION" || status=1
log "integration took $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
wait "$beside_pid" || status=1
log "checks, unit, workflows and $BESIDE_INTEGRATION (beside), waited for $(( $(date +%s) - t0 )) s more:"
cat "$BESIDE_LOG" >&2
t0=$(date +%s); log "jest integration, $QUIET_INTEGRATION (on the stack, nothing beside)"
jest_project integration "$QUIET_RESULTS" --testPathPattern "$QUIET_INTEGRATION" || status=1
log "integration (quiet) took $(( $(date +%s) - t0 )) s"

# The production topology, two Temporal server nodes on PostgreSQL (first run builds the server from source, cached
# afterwards), and the cluster project against them: beside the chaos project, in region b with stores of its own
# (scripts/stack/components/cluster-b.sh). Chaos kills region a's etcd and apiserver, Prometheus and Redis, makes the
# metrics apps sick and counts moto's snapshots; the cluster project kills a server node and stops its PostgreSQL.
# Neither touches what the other uses, and both mostly wait on releases, so the cluster's time leaves the serial
# path. Its output is printed once both are done.
cluster_work() {
  t0=$(date +%s); log "jest cluster: Temporal cluster on PostgreSQL, in region b (beside chaos)"
  cluster_b=scripts/stack/components/cluster-b.sh ok=0
  if bash "$cluster_b" install && bash "$cluster_b" start; then
    HWAYO_STACK_DIR="${HWAYO_STACK_DIR:-$REPO/.stack}/region-b" jest_project cluster "$CLUSTER_RESULTS" || ok=1
  else
    log "cluster-b did not start; see .stack/region-b/logs"; ok=1
  fi
  log "cluster project took $(( $(date +%s) - t0 )) s (cluster start included)"
  exit $ok
}
in_group "$CLUSTER_LOG" cluster_work; cluster_pid=$group_pid
stop_cluster() { kill -- "-$cluster_pid" 2>/dev/null || true; }
trap 'stop_beside; stop_cluster; stop_stack' EXIT

# Faults injected into whole releases (test/chaos, docs/reliability.md): after the integration project, on the
# same stack. On by default; HWAYO_CHAOS=0 skips it. Seven releases (the fault-free outcomes are recorded in
# test/chaos/fault-free.json): about 15 min in a clean-clone run (docs/reliability.md, Suite time).
if [ "${HWAYO_CHAOS:-1}" != 0 ]; then
  log "chaos (the cluster project beside it)"; t0=$(date +%s)
  jest_project chaos "$CHAOS_RESULTS" || status=1
  log "chaos suite took $(( $(date +%s) - t0 )) s"
else
  log "chaos suite skipped (HWAYO_CHAOS=0)"; CHAOS_RESULTS=; SKIPPED="the chaos suite (HWAYO_CHAOS=0)"
fi
t0=$(date +%s)
wait "$cluster_pid" || status=1
log "cluster project (beside chaos), waited for $(( $(date +%s) - t0 )) s more:"
cat "$CLUSTER_LOG" >&2

CHECKS_FAILED="$CHECKS_FAILED" SKIPPED="${SKIPPED:-}" node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  const names = [];
  // Each jest run that wrote no results counts as one failure.
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed += 1; names.push(`${f}: no results written`); continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    // A suite that failed without a failed test (it did not run, or broke after its tests) counts as one failure.
    const broken = r.testResults.filter(
      (s) => s.status === "failed" && !s.assertionResults.some((a) => a.status === "failed"),
    );
    passed += r.numPassedTests; failed += r.numFailedTests + broken.length;
    // Named here, at the end, where a log cut in the middle still shows them.
    const first = (m) => (m || "").replace(/\x1b\[[0-9;]*m/g, "").split("\n").find((l) => l.trim()) ?? "";
    for (const s of r.testResults) {
      const file = s.name.replace(process.cwd() + "/", "");
      if (broken.includes(s)) names.push(`${file}: suite failed: ${first(s.message)}`);
      for (const a of s.assertionResults.filter((a) => a.status === "failed"))
        names.push(`${file}: ${a.fullName}: ${first(a.failureMessages[0])}`);
    }
  }
  // Typecheck, lint and format count as one test each: a failed one is a failure of the run.
  const checks = process.env.CHECKS_FAILED;
  for (const c of checks && fs.existsSync(checks) ? fs.readFileSync(checks, "utf8").split("\n").filter(Boolean) : []) {
    failed += 1; names.push(`static check: ${c}`);
  }
  for (const n of names) console.log(`[test] FAILED ${n.slice(0, 400)}`);
  if (process.env.SKIPPED) console.log(`[test] not run: ${process.env.SKIPPED}`);
  console.log(`${passed} passed, ${failed} failed`);
' "$RESULTS" "$BESIDE_RESULTS" "$QUIET_RESULTS" "$UNIT_RESULTS" "$WORKFLOW_RESULTS" "$CLUSTER_RESULTS" \
  ${CHAOS_RESULTS:+"$CHAOS_RESULTS"}
exit $status
