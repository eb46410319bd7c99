#!/usr/bin/env bash
# The capacity bench (`npm run bench -- capacity`): builds the worker and the bench (dist/), starts
# PostgreSQL and the two-node Temporal cluster (no Web UI), runs bench/capacity.ts (~25 min), then
# terminates its releases and puts its section into docs/benchmarks.md (between the capacity markers,
# which bench/run.sh keeps). Run it inside the stack's network namespace. Tuning under test comes from
# the environment: HWAYO_MAX_CACHED_WORKFLOWS, HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS,
# HWAYO_STICKY_QUEUE_TIMEOUT_MS; CAPACITY_STEPS (default 100,300,1000,3000), CAPACITY_WINDOW_S.
# CAPACITY_SERVER=dev: a private dev server instead (own stack dir and ports, no lock needed: the
# shared stack's ports stay free), stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CAPACITY_SKIP_BUILD:-}" ]; then npm run build >/dev/null; npx tsc -p bench/tsconfig.capacity.json; fi
if [ "${CAPACITY_SERVER:-}" = dev ]; then
  export HWAYO_STACK_DIR=${CAPACITY_STACK_DIR:-$PWD/bench/.capacity-stack}
  export HWAYO_TEMPORAL_PORT=${CAPACITY_DEV_PORT:-27433}
  export HWAYO_TEMPORAL_UI_PORT=$((HWAYO_TEMPORAL_PORT + 1000)) CAPACITY_WORKER_PORT=${CAPACITY_WORKER_PORT:-29460}
  rm -rf "$HWAYO_STACK_DIR"
  trap 'bash scripts/stack/down.sh temporal >/dev/null 2>&1 || true' EXIT
  bash scripts/stack/up.sh temporal
  set -a; source "$HWAYO_STACK_DIR/env.d/temporal.env"; set +a
else
  HWAYO_TEMPORAL_CLUSTER_UI=0 bash scripts/stack/up.sh postgres temporal-cluster
  set -a; source .stack/env.d/temporal-cluster.env; set +a
fi
export CAPACITY_TASK_QUEUE="capacity-$(date +%s)"
if [ -z "${CAPACITY_MACHINE:-}" ]; then
  cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs || true)
  memory_gib=$(free -g | awk '/Mem:/{print $2}' || true)
  CAPACITY_MACHINE="$(nproc) cores ($cpu_model), $memory_gib GiB, $(uname -sr), Node $(node --version)"
fi
export CAPACITY_MACHINE
export CAPACITY_OUT=bench/.capacity.md
status=0
node dist/bench/capacity.js || status=$?
# Leave nothing running on the cluster: the releases' timers would keep firing.
"$TEMPORAL_CLI" workflow terminate --address "$TEMPORAL_ADDRESS" --namespace default \
  --query "TaskQueue='$CAPACITY_TASK_QUEUE' AND ExecutionStatus='Running'" \
  --reason 'capacity bench finished' --yes >/dev/null || true
[ $status = 0 ] || exit $status
# Replace the section between the markers (or append it).
doc=docs/benchmarks.md
{
  sed '/^<!-- capacity:begin -->$/,/^<!-- capacity:end -->$/d' "$doc"
  echo '<!-- capacity:begin -->'
  cat "$CAPACITY_OUT"
  echo '<!-- capacity:end -->'
} > "$doc.tmp" && mv "$doc.tmp" "$doc"
echo "wrote the capacity section of $doc" >&2
