#!/usr/bin/env bash
# Builds llama.cpp's own server (`llama-server`) from the llama.cpp source that node-llama-cpp
# bundles (node_modules/node-llama-cpp/llama/gitRelease.bundle), so the remote-engine tests and
# benchmarks run a real server of the same llama.cpp release as Hearth's local engine. CPU only,
# the llama-server target only. Cached in $HEARTH_TEST_CACHE (default ~/.cache/hearth-test): the
# first build took 7.5 minutes on two cores here; later runs print the cached path at once.
# Prints the server's path on stdout; progress goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${HEARTH_TEST_CACHE:-$HOME/.cache/hearth-test}
llama=$root/node_modules/node-llama-cpp/llama
bundle=$llama/gitRelease.bundle
say() { echo "[llama-server] $*" >&2; }
fail() { say "$1"; exit 1; }

[ -f "$bundle" ] || fail "no $bundle: run 'npm ci' first."
tag=$(node -p "require('$llama/llama.cpp.info.json').tag")
out=$cache/llama-server-$tag
server=$out/bin/llama-server
if [ -x "$server" ]; then
  echo "$server"
  exit 0
fi
for tool in git cmake c++ make; do
  command -v "$tool" >/dev/null 2>&1 || fail "needs $tool: on Debian, 'apt-get install -y git cmake g++ make', then run this again."
done
mkdir -p "$cache" || fail "make $cache writable, or point HEARTH_TEST_CACHE at a folder you can write."

work=$(mktemp -d "$cache/llama-server-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "building llama-server $tag from node-llama-cpp's bundled source in $work (7.5 minutes on two cores here)"
git clone --quiet "$bundle" "$work/src" 2>&1 | sed 's/^/[llama-server] /' >&2
if git -C "$work/src" rev-parse --verify --quiet "refs/tags/$tag" >/dev/null; then
  git -C "$work/src" -c advice.detachedHead=false checkout --quiet "$tag"
fi
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_NATIVE=ON >&2
cmake --build "$work/build" --target llama-server -j "${HEARTH_BUILD_JOBS:-2}" >&2
mkdir -p "$out.tmp/bin"
cp "$work/build/bin/llama-server" "$out.tmp/bin/"
rm -rf "$out" && mv "$out.tmp" "$out"
say "built $server"
echo "$server"
