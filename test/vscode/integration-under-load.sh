#!/usr/bin/env bash
# The integration suite under load: runs it RUNS times in a row (default 5) while the completion
# benchmark runs over and over beside it, keeping the machine's cores busy as a second
# `npm run bench` would. Prints one line per run and a tally; exits non-zero if any run failed.
#
#   npm run build && npm run compile-tests && bash test/vscode/integration-under-load.sh [RUNS] [LOADS]
#
# LOADS (default 1) is how many benchmarks run at once. The benchmark runs from the built out/
# (no rebuild), so it never rewrites files the suite is loading. Logs: test-artifacts/under-load/.
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
loads=${2:-1}
logs=test-artifacts/under-load
mkdir -p "$logs"
[ -f out/test/vscode/runIntegrationTests.js ] && [ -f out/test/bench/completionBench.js ] ||
  { echo "build first: npm run build && npm run compile-tests" >&2; exit 2; }

pids=()
stop_load() { for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null; done; wait 2>/dev/null; }
trap stop_load EXIT
for i in $(seq "$loads"); do
  # Its own process group, so the whole benchmark (with its engine process) stops at the end.
  setsid bash -c "while :; do node out/test/bench/completionBench.js --sites 6 --cold 2 >>'$logs/load-$i.log' 2>&1; done" &
  pids+=($!)
done
echo "load: $loads completion benchmark(s) running in a loop (logs in $logs/load-*.log)"
sleep 20 # let the load get going (its model is written once, then loaded)

failed=0
for run in $(seq "$runs"); do
  started=$(date +%s)
  CI=true node out/test/vscode/runIntegrationTests.js >"$logs/run-$run.log" 2>&1
  status=$?
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/run-$run.log")
  passing=$(grep -Eo '^ +[0-9]+ passing' <<<"$plain" | awk '{ print $1 }')
  failing=$(grep -Eo '^ +[0-9]+ failing' <<<"$plain" | awk '{ print $1 }')
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "run $run: exit $status, ${passing:-0} passing, ${failing:-0} failing, $(( $(date +%s) - started )) s, load average $load"
  [ "$status" -eq 0 ] || failed=$((failed + 1))
done
benchmarks=$(cat "$logs"/load-*.log 2>/dev/null | grep -c "^total [0-9]* s" || true)
echo "under load: $((runs - failed)) of $runs runs passed; the load completed $benchmarks benchmark rounds meanwhile"
[ "$failed" -eq 0 ]
