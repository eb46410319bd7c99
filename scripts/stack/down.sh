#!/usr/bin/env bash
# Stops every component that up.sh started (in reverse order); safe to run when nothing runs.
source "$(dirname "$0")/lib.sh"
ALL=(temporal sinks tls redis postgres moto prometheus kube)
components=("$@"); [ ${#components[@]} -eq 0 ] && components=("${ALL[@]}")
for c in "${components[@]}"; do
  script="$REPO_ROOT/scripts/stack/components/$c.sh"
  [ -f "$script" ] && bash "$script" stop || true
done
