#!/usr/bin/env bash
# Fails on a line longer than 120 characters in a shell script: *.sh, and files whose first line is a sh/bash
# shebang (.ci/run). eslint's max-len and prettier hold the TypeScript to 120; this holds the shell to the same.
# Wrap with a backslash, a line ending in | or ||, or a variable. Part of `npm run format:check`.
# Usage: check-shell-lines.sh [--list] [FILE...]   (no FILE: every shell script git tracks or would track)
set -euo pipefail
export LC_ALL=C.UTF-8 # ${#line} counts characters, not bytes
MAX=120
list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
files=("$@")
if [ $# = 0 ]; then
  cd "$(dirname "$0")/.."
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    case "${f##*/}" in
      *.sh) files+=("$f") ;;
      *.*) ;;
      *) head -n 1 "$f" | grep -qE '^#!.*[/ ](ba|da)?sh( |$)' && files+=("$f") ;;
    esac
  done < <(git ls-files --cached --others --exclude-standard)
fi
if [ $list = 1 ]; then printf '%s\n' "${files[@]}"; exit 0; fi

long=0
for f in "${files[@]}"; do
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    if [ ${#line} -gt $MAX ]; then
      echo "$f:$n: ${#line} characters (at most $MAX)"
      long=$((long + 1))
    fi
  done <"$f"
done
if [ $long -gt 0 ]; then
  echo "$long shell line(s) longer than $MAX characters in ${#files[@]} scripts" >&2
  exit 1
fi
