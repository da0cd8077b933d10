#!/usr/bin/env bash
# Installs what the in-VS-Code tests and `npm start` need on a Linux machine that cannot download
# desktop VS Code: Debian's Chromium (to drive the workbench), Node 24 from the npm registry, and
# code-server (VS Code OSS) from npm, whose native modules compile against that Node; and for the
# server-engine tests, llama.cpp's llama-server built from node-llama-cpp's bundled source
# (test/servers/build-llama-server.sh).
# Everything but the Debian packages lands in $HEARTH_TEST_CACHE (default ~/.cache/hearth-test) and
# is reused by later runs.
#
#   bash test/vscode/setup.sh              everything (npm test)
#   bash test/vscode/setup.sh --no-browser no Chromium nor llama-server (npm start: you open VS Code in your own browser)
#
# Each step says what it does; long steps report their elapsed time every 15 s. A failed step is
# named, with the end of its log and what to do about it.
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"
CACHE=${HEARTH_TEST_CACHE:-$HOME/.cache/hearth-test}
browser=yes
for arg in "$@"; do
  case $arg in
    --no-browser) browser=no ;;
    *) echo "setup: unknown argument $arg (expected --no-browser)" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
say() { echo "setup: $*"; }
if [ "$(uname -s)" != Linux ]; then
  say "$(uname -s) is not Linux: nothing to install. The integration tests and npm start use a desktop VS Code"
  say "(downloaded by @vscode/test-electron, or HEARTH_VSCODE_EXECUTABLE); the UI tests need Linux."
  exit 0
fi
# Prints why a step failed, the end of its log and what to do, then exits.
fail() { # step, advice, [log]
  echo >&2
  echo "setup: FAILED at step '$1'." >&2
  if [ -n "${3:-}" ] && [ -s "$3" ]; then
    echo "setup: the end of its log ($3):" >&2
    tail -n 25 "$3" | sed 's/^/    /' >&2
  fi
  echo "setup: what to do: $2" >&2
  exit 1
}
# Runs a command with its output in a log, saying every 15 s (HEARTH_SETUP_HEARTBEAT_S) that it is
# still at work. Ctrl+C or an error stops the command too: nothing is left running in the background.
heartbeat=${HEARTH_SETUP_HEARTBEAT_S:-15}
with_heartbeat() { # label, log, command...
  local label=$1 log=$2 t0 pid last rc=0
  shift 2
  t0=$(date +%s)
  # Not holding the setup lock (fd 9): should it outlive us, the next run must not wait on it.
  "$@" >"$log" 2>&1 9>&- &
  pid=$!
  trap 'kill "$pid" 2>/dev/null; exit 130' INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq "$heartbeat"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      # The last line that says what is happening (not a compiler's warning or its excerpt).
      last=$(tr -d '\r' <"$log" 2>/dev/null | grep -vE '^\s*([|~^0-9]|$)|warning|note:|In (member )?function|^User agent' | tail -n 1 | cut -c1-100 || true)
      say "  $label: $(( $(date +%s) - t0 )) s so far${last:+ (last: $last)}"
    fi
  done
  wait "$pid" || rc=$?
  trap - INT TERM
  [ "$rc" -eq 0 ] && say "  $label: done in $(( $(date +%s) - t0 )) s"
  return "$rc"
}

mkdir -p "$CACHE" 2>/dev/null || fail "cache folder" "make $CACHE writable, or point HEARTH_TEST_CACHE at a folder you can write."
[ -w "$CACHE" ] || fail "cache folder" "make $CACHE writable, or point HEARTH_TEST_CACHE at a folder you can write."
# One install at a time: a second caller waits here, then finds everything in place.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.setup.lock"
  if ! flock -n 9; then
    say "another setup is running in $CACHE: waiting for it (it reports its own progress)"
    waited=0
    until flock -w "$heartbeat" 9; do waited=$((waited + heartbeat)); say "  still waiting for the other setup, $waited s so far"; done
  fi
fi
say "installing what the VS Code tests need into $CACHE (HEARTH_TEST_CACHE)"

# --- 1. Debian packages -------------------------------------------------------------------------
# chromium drives the workbench; the rest build code-server's native modules (kerberos needs gssapi).
packages=(libkrb5-dev pkg-config build-essential python3)
[ "$browser" = yes ] && packages=(chromium "${packages[@]}")
# The server-engine tests run llama.cpp's own server, built once from node-llama-cpp's bundled source
# (the last step): its build tools are needed until it is built. npm start (--no-browser) needs no server.
llama_build="$here/../servers/build-llama-server.sh"
llama_server=yes
[ "$browser" = no ] && llama_server=no
llama_cached=""
if [ "$llama_server" = yes ]; then
  llama_cached=$(HEARTH_TEST_CACHE="$CACHE" bash "$llama_build" --cached 2>/dev/null || true)
  [ -n "$llama_cached" ] || packages+=(git cmake g++ make)
fi
step_packages() {
  local missing=() p
  # Installed, not merely known: a removed package whose config files remain is "deinstall ok config-files".
  for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "[1/3] Debian packages: already installed (${packages[*]})"
    return 0
  fi
  local command="apt-get install -y --no-install-recommends ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 ||
    fail "Debian packages" "this is not a Debian-based system (no apt-get). Install Chromium (or set CHROMIUM_PATH), a C/C++ toolchain, pkg-config, the Kerberos development headers and Python 3 with your package manager, then run 'bash test/vscode/setup.sh' again."
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 ||
      fail "Debian packages" "apt-get needs root to install ${missing[*]}: as root, run 'apt-get update && $command', then run the same command again."
    if ! sudo -n true 2>/dev/null; then
      [ -t 0 ] ||
        fail "Debian packages" "apt-get needs root to install ${missing[*]}: run 'sudo apt-get update && sudo $command' (or run this as root), then run the same command again."
      # Ask for the password here, in the foreground, not under a background apt-get.
      say "[1/3] Debian packages: not root; sudo asks for your password to run apt-get"
      sudo -v || fail "Debian packages" "sudo did not accept the password: run 'sudo apt-get update && sudo $command' yourself, then run the same command again."
    fi
    sudo=(sudo)
  fi
  local log="$CACHE/apt.log"
  say "[1/3] Debian packages: installing ${missing[*]} with apt-get (about 30 s; log: $log)"
  with_heartbeat "apt-get update" "$log" "${sudo[@]}" apt-get update ||
    fail "Debian packages (apt-get update)" "check that this machine reaches its Debian mirror, then run the same command again." "$log"
  with_heartbeat "apt-get install" "$log" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
    fail "Debian packages (apt-get install)" "run 'sudo $command' by hand to see what apt needs, then run the same command again." "$log"
}

# --- 2. Node 24 ---------------------------------------------------------------------------------
# code-server 4.139 needs Node 24; the machine's Node may be older. node-linux-<arch> on the npm
# registry is the official build, so no download outside the registry is needed.
case $(uname -m) in
  x86_64 | amd64) node_arch=x64 ;;
  aarch64 | arm64) node_arch=arm64 ;;
  *) node_arch="" ;;
esac
node_dir="$CACHE/node-$NODE_VERSION"
step_node() {
  if [ -x "$node_dir/bin/node" ] && "$node_dir/bin/node" --version >/dev/null 2>&1; then
    say "[2/3] Node $NODE_VERSION: already installed, reusing $node_dir"
    return 0
  fi
  [ -n "$node_arch" ] ||
    fail "Node $NODE_VERSION" "this setup knows Linux on x64 and arm64 only; on other machines set HEARTH_VSCODE_EXECUTABLE to a desktop VS Code instead."
  local tmp log="$CACHE/node.log"
  tmp=$(mktemp -d)
  say "[2/3] Node $NODE_VERSION: downloading node-linux-$node_arch@$NODE_VERSION from the npm registry (about 30 MB)"
  with_heartbeat "npm pack node-linux-$node_arch" "$log" sh -c "cd '$tmp' && npm pack 'node-linux-$node_arch@$NODE_VERSION'" ||
    fail "Node $NODE_VERSION" "check that this machine reaches the npm registry (npm ping), then run the same command again." "$log"
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  tar xzf "$tmp"/node-linux-*.tgz -C "$node_dir" --strip-components=1 2>>"$log" ||
    fail "Node $NODE_VERSION" "the package did not unpack: delete $node_dir and run the same command again." "$log"
  rm -rf "$tmp"
  "$node_dir/bin/node" --version >/dev/null 2>>"$log" || fail "Node $NODE_VERSION" "the downloaded Node does not run on this machine." "$log"
  say "  Node $NODE_VERSION is in $node_dir"
}

# --- 3. code-server -----------------------------------------------------------------------------
cs_dir="$CACHE/code-server-$CODE_SERVER_VERSION"
# Runs code-server with throwaway config/data dirs, so that it writes nothing into ~/.config or ~/.local.
cs() {
  local tmp rc=0
  tmp=$(mktemp -d)
  : >"$tmp/config.yaml"
  XDG_CONFIG_HOME="$tmp" XDG_DATA_HOME="$tmp" "$node_dir/bin/node" \
    "$cs_dir/lib/node_modules/code-server/out/node/entry.js" --config "$tmp/config.yaml" "$@" || rc=$?
  rm -rf "$tmp"
  return $rc
}
# npm as a child that knows nothing of an `npm run` that called us. npm exports its own identity and
# the calling project as variables; code-server's postinstall reads the Node version from the user
# agent ("npm/… node/v20…") and refuses anything but 24. The user's npm settings (registry, proxy,
# certificates), also exported as npm_config_*, are kept.
clean_npm() {
  local unset_args=() name
  while IFS='=' read -r name _; do
    case $name in
      npm_config_user_agent | npm_config_local_prefix | npm_config_node_gyp | npm_config_npm_version | npm_lifecycle_* | npm_package_* | \
        npm_command | npm_execpath | npm_node_execpath | INIT_CWD | NODE_OPTIONS) unset_args+=(-u "$name") ;;
    esac
  done < <(env)
  env "${unset_args[@]}" PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm_config_cache="$CACHE/npm-cache" \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false "$@"
}
step_code_server() {
  # .hearth-complete marks a finished install (the harness checks it): an interrupted one is redone.
  if [ -f "$cs_dir/.hearth-complete" ]; then
    say "[3/3] code-server $CODE_SERVER_VERSION: already installed, reusing $cs_dir"
    return 0
  fi
  local log="$CACHE/code-server-install.log"
  rm -rf "$cs_dir"
  say "[3/3] code-server $CODE_SERVER_VERSION: installing from the npm registry and compiling its native modules against Node $NODE_VERSION"
  say "  (about 3 minutes on 2 cores, once per machine; log: $log)"
  with_heartbeat "code-server install" "$log" clean_npm npm install -g --prefix "$cs_dir" "code-server@$CODE_SERVER_VERSION" --foreground-scripts ||
    fail "code-server $CODE_SERVER_VERSION" "a native module did not build: check that the step-1 packages are installed (build-essential, python3, pkg-config, libkrb5-dev), then run the same command again." "$log"
  cs --version >>"$log" 2>&1 || fail "code-server $CODE_SERVER_VERSION" "it installed but does not start: delete $cs_dir and run the same command again." "$log"
  touch "$cs_dir/.hearth-complete"
}

# --- llama-server --------------------------------------------------------------------------------
# llama.cpp's server of the same release as node-llama-cpp, for the tests of Hearth's server engines
# (they find it with test/servers/llamaServer.ts). Built from source, once per machine and release.
step_llama_server() {
  [ "$llama_server" = yes ] || return 0
  if [ -n "$llama_cached" ]; then
    say "[+] llama-server: already built, reusing $llama_cached"
    return 0
  fi
  local log="$CACHE/llama-server.log" path
  say "[+] llama-server: building llama.cpp's server from node-llama-cpp's bundled source, for the server-engine tests"
  say "  (about 8 minutes on 2 cores, once per machine; log: $log)"
  with_heartbeat "llama-server build" "$log" env HEARTH_TEST_CACHE="$CACHE" bash "$llama_build" ||
    fail "llama-server" "check the step-1 build tools (git, cmake, g++, make) and the end of the log, then run the same command again; 'bash test/servers/build-llama-server.sh' builds it alone." "$log"
  path=$(HEARTH_TEST_CACHE="$CACHE" bash "$llama_build" --cached) ||
    fail "llama-server" "the build said it finished but left no server: run 'bash test/servers/build-llama-server.sh' to see why." "$log"
  say "  llama-server is $path"
}

step_packages
step_node
step_code_server
step_llama_server
say "ready in $(( $(date +%s) - started )) s: code-server $(cs --version 2>/dev/null | head -n 1 | cut -d' ' -f1) (VS Code $(cs --version 2>/dev/null | head -n 1 | sed -n 's/.*with Code \([0-9.]*\).*/\1/p')) on Node $NODE_VERSION, in $CACHE"
