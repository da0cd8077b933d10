#!/usr/bin/env bash
# Builds llama.cpp's own server (`llama-server`) from the llama.cpp source that node-llama-cpp
# bundles (node_modules/node-llama-cpp/llama/gitRelease.bundle), so the remote-engine tests and
# benchmarks run a real server of the same llama.cpp release as Hearth's local engine. CPU only,
# the llama-server target only. Cached in $HEARTH_TEST_CACHE (default ~/.cache/hearth-test): the
# first build took 7.5 minutes on two cores here; later runs print the cached path at once.
# Prints the server's path on stdout; progress goes to stderr.
#
#   bash test/servers/build-llama-server.sh           build unless cached, print the path
#   bash test/servers/build-llama-server.sh --cached  print the path if cached, else exit 1 (never builds)
#
# Safe to run twice at once (CI jobs, setup.sh and a developer): the second waits on a lock in the
# cache, then finds the first one's build. The build happens in a temporary folder of the cache and
# only a finished binary is moved (renamed) to its final path.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${HEARTH_TEST_CACHE:-$HOME/.cache/hearth-test}
llama=$root/node_modules/node-llama-cpp/llama
bundle=$llama/gitRelease.bundle
say() { echo "[llama-server] $*" >&2; }
fail() { say "$1"; exit 1; }
cached_only=no
for arg in "$@"; do
  case $arg in
    --cached) cached_only=yes ;;
    *) fail "unknown argument $arg (expected --cached)" ;;
  esac
done

[ -f "$llama/llama.cpp.info.json" ] || fail "no $llama/llama.cpp.info.json: run 'npm ci' first."
# The release tag, read without Node (setup.sh calls this before it installs one).
tag=$(sed -n 's/.*"tag"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$llama/llama.cpp.info.json" | head -n 1)
[ -n "$tag" ] || fail "no tag in $llama/llama.cpp.info.json."
out=$cache/llama-server-$tag
server=$out/bin/llama-server
if [ -x "$server" ]; then
  echo "$server"
  exit 0
fi
[ "$cached_only" = no ] || exit 1
[ -f "$bundle" ] || fail "no $bundle: run 'npm ci' first."
for tool in git cmake c++ make; do
  command -v "$tool" >/dev/null 2>&1 || fail "needs $tool: on Debian, 'apt-get install -y git cmake g++ make', then run this again."
done
mkdir -p "$cache" || fail "make $cache writable, or point HEARTH_TEST_CACHE at a folder you can write."

# One build at a time: a second run waits for the first, then finds its binary.
if command -v flock >/dev/null 2>&1; then
  exec 8>"$cache/llama-server.lock"
  if ! flock -n 8; then
    say "another build of llama-server is running in $cache: waiting for it"
    flock 8
  fi
  if [ -x "$server" ]; then
    echo "$server"
    exit 0
  fi
  # What a killed build left behind (nothing else builds while we hold the lock).
  rm -rf "$cache"/llama-server-build.??????
fi

work=$(mktemp -d "$cache/llama-server-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "building llama-server $tag from node-llama-cpp's bundled source in $work (7.5 minutes on two cores here)"
# The commands below do not hold the lock (fd 8): should one outlive us, the next run must not wait on it.
git -c advice.detachedHead=false clone --quiet "$bundle" "$work/src" 2>&1 8>&- | sed 's/^/[llama-server] /' >&2
if git -C "$work/src" rev-parse --verify --quiet "refs/tags/$tag" >/dev/null 8>&-; then
  git -C "$work/src" -c advice.detachedHead=false checkout --quiet "$tag" 8>&-
fi
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_NATIVE=ON >&2 8>&-
cmake --build "$work/build" --target llama-server -j "${HEARTH_BUILD_JOBS:-2}" >&2 8>&-
# Staged in the build folder (same file system as the cache), then renamed into place whole.
mkdir -p "$work/out/bin"
cp "$work/build/bin/llama-server" "$work/out/bin/"
"$work/out/bin/llama-server" --version >/dev/null 2>&1 || fail "the built llama-server does not run: see the output above."
rm -rf "$out" && mv "$work/out" "$out"
say "built $server"
echo "$server"
