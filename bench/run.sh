#!/usr/bin/env bash
# Benchmarks (not tests): `npm run bench`. Restarts the local stack to time a warm start, then runs
# bench/*.bench.ts, which append their figures; everything lands in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm run bench -- capacity`: the capacity bench on the Temporal cluster (bench/capacity.sh, ~25 min).
[ "${1:-}" != capacity ] || exec bash bench/capacity.sh
OUT=bench/.results.md
: > "$OUT"
# Node >= 22 first on PATH (scripts/install/node.sh); the header below says which node ran.
NODE_BIN=$(bash scripts/install/node.sh)
[ -z "$NODE_BIN" ] || export PATH="$NODE_BIN:$PATH"
bash scripts/install/temporal.sh
bash scripts/stack/down.sh >/dev/null 2>&1 || true
bash scripts/stack/up.sh 2> bench/.stack-up.log
{
  echo "## Local stack, warm start (binaries cached, one run)"
  echo
  echo "| component | start |"
  echo "|---|---|"
  sed -n 's/^\[stack\] \([a-z]*\) up in \([0-9]*\) ms$/| \1 | \2 ms |/p' bench/.stack-up.log
  echo
} >> "$OUT"
npx jest --runInBand --selectProjects bench
{
  echo "# Benchmarks"
  echo
  echo "Made by \`npm run bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores, Node $(node --version)."
  echo "Medians and ratios are from one run."
  echo
  cat "$OUT"
  # The capacity bench's section (bench/capacity.sh) is kept from the previous file.
  sed -n '/^<!-- capacity:begin -->$/,/^<!-- capacity:end -->$/p' docs/benchmarks.md
} > docs/benchmarks.md.tmp && mv docs/benchmarks.md.tmp docs/benchmarks.md
rm -f bench/.stack-up.log
echo "wrote docs/benchmarks.md" >&2
