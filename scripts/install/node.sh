#!/usr/bin/env bash
# Node >= 22 for the project. Prints the directory to put first on PATH (nothing when the machine's
# node is already >= 22). Otherwise installs the pinned official binary into
# $HWAYO_CACHE/node-<version>/ from the npm registry package node-linux-<arch> (it carries the
# release's bin/node; `npm pack` fetches it without running any install script), after checking the
# tarball against the integrity pinned here. npm itself stays the machine's: it runs on this node.
# Usage: NODE_BIN=$(bash scripts/install/node.sh) && [ -z "$NODE_BIN" ] || PATH="$NODE_BIN:$PATH"
source "$(dirname "$0")/lib.sh"
NODE_VERSION=22.23.3
NODE_MAJOR_MIN=22
# `npm view node-linux-<arch>@$NODE_VERSION dist.integrity`
declare -A NODE_INTEGRITY=(
  [x64]=sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==
  [arm64]=sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==
)

major=$( (command -v node >/dev/null && node --version 2>/dev/null) | sed -n 's/^v\([0-9]*\)\..*/\1/p')
if [ -n "${major:-}" ] && [ "$major" -ge "$NODE_MAJOR_MIN" ] && [ -z "${HWAYO_FORCE_NODE_INSTALL:-}" ]; then exit 0; fi

dir="$HWAYO_CACHE/node-$NODE_VERSION"
if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) log "no pinned Node $NODE_VERSION for $(uname -m)"; exit 1 ;;
  esac
  command -v npm >/dev/null || { log "npm is needed to fetch Node $NODE_VERSION (apt-get install npm)"; exit 1; }
  pkg="node-linux-$arch"
  have="node v${major:-?}"; command -v node >/dev/null || have="no node"
  log "$pkg@$NODE_VERSION (the machine has $have)"
  tmp=$(mktemp -d "$HWAYO_CACHE/.node-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "$pkg@$NODE_VERSION" --silent --no-audit --no-fund >/dev/null)
  tarball="$tmp/$pkg-$NODE_VERSION.tgz"
  [ -f "$tarball" ] || { log "npm pack did not produce $tarball"; exit 1; }
  got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$got" != "${NODE_INTEGRITY[$arch]}" ]; then
    log "$pkg@$NODE_VERSION: integrity mismatch (got $got, pinned ${NODE_INTEGRITY[$arch]})"; exit 1
  fi
  mkdir -p "$tmp/x"
  tar -xzf "$tarball" -C "$tmp/x" --strip-components=1
  [ "$("$tmp/x/bin/node" --version)" = "v$NODE_VERSION" ] || { log "unpacked node is not v$NODE_VERSION"; exit 1; }
  rm -rf "$dir"
  mv "$tmp/x" "$dir"
fi
echo "$dir/bin"
