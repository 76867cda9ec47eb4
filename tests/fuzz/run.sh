#!/usr/bin/env bash
# run.sh FUZZER CORPUS SECONDS: one fuzz target for a few seconds, starting
# from (and first replaying) the committed corpus, which it never writes to.
# Prints the execution count; on a finding prints the report and keeps the
# input (add it to the corpus as crash-NAME once fixed).
set -uo pipefail
fuzzer="$1" corpus="$2" seconds="$3"
work=$(mktemp -d "${TMPDIR:-/tmp}/ykt-fuzz.XXXXXX")
mkdir "$work/new"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work/new" "$corpus" >"$work/log" 2>&1
rc=$?
name=$(basename "$fuzzer")
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
echo "$name: ${runs:-?} executions in ${seconds}s over $(ls "$corpus" | wc -l) corpus inputs"
if [ "$rc" -ne 0 ]; then
  grep -v '^ykt\[' "$work/log" | tail -n 60
  echo "$name: FAILED; inputs and log kept in $work"
  exit 1
fi
rm -rf "$work"
