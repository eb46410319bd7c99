#!/usr/bin/env bash
# The outside tools each test project runs, and the step that installs each: one table, so that every tool a
# project needs is installed before that project starts, on a machine that never had it, whatever order the
# suite runs in (unit tests run promtool, which the stack would otherwise install only later).
#   test-tools.sh install PROJECT...  runs the install step of every tool of those projects (cached, idempotent)
#   test-tools.sh check PROJECT...    exits 1 naming each missing tool and the step that installs it
#   test-tools.sh list                prints the table
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
HWAYO_CACHE="${HWAYO_CACHE:-$HOME/.cache/hwayo-release}"

# project | tool (a command on PATH, or a path under $HWAYO_CACHE) | install step (run from the repo root)
TOOLS="
unit        | promtool                        | bash scripts/install/prometheus.sh
unit        | amtool                          | bash scripts/install/alertmanager.sh
workflows   | \$HWAYO_CACHE/bin/temporal-test-server | bash scripts/install/temporal.sh
integration | \$HWAYO_CACHE/bin/temporal      | bash scripts/install/temporal.sh
integration | chromium                        | bash scripts/install/chromium.sh
integration | promtool                        | bash scripts/install/prometheus.sh
integration | \$HWAYO_CACHE/bin/helm          | bash scripts/install/helm.sh
chaos       | \$HWAYO_CACHE/bin/temporal      | bash scripts/install/temporal.sh
cluster     | \$HWAYO_CACHE/bin/temporal      | bash scripts/install/temporal.sh
"

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# rows PROJECT...: "project|tool|step" lines of those projects.
rows() {
  local want=" $* " line project tool step
  while IFS= read -r line; do
    [ -n "${line// /}" ] || continue
    IFS='|' read -r project tool step <<<"$line"
    project=$(trim "$project"); tool=$(trim "$tool"); step=$(trim "$step")
    [[ "$want" == *" $project "* ]] && printf '%s|%s|%s\n' "$project" "$tool" "$step"
  done <<<"$TOOLS"
  return 0
}

# present TOOL: a path (after expanding $HWAYO_CACHE) that is executable, or a command on PATH.
present() {
  local t=${1//\$HWAYO_CACHE/$HWAYO_CACHE}
  if [[ "$t" == */* ]]; then [ -x "$t" ]; else command -v "$t" >/dev/null; fi
}

case "${1:-}" in
  install)
    shift
    rows "$@" | cut -d'|' -f3 | awk '!seen[$0]++' | while IFS= read -r step; do
      (cd "$REPO_ROOT" && eval "$step") || { echo "test-tools: '$step' failed" >&2; exit 1; }
    done ;;
  check)
    shift; missing=0
    while IFS='|' read -r project tool step; do
      present "$tool" && continue
      echo "test-tools: $tool is missing (the $project tests run it); install it with: $step" >&2; missing=1
    done < <(rows "$@")
    exit $missing ;;
  list) echo "$TOOLS" | sed '/^$/d' ;;
  *) echo "usage: $0 install PROJECT... | check PROJECT... | list" >&2; exit 2 ;;
esac
