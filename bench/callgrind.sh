#!/usr/bin/env bash
# Instructions per tap, link model off, counted by valgrind's callgrind over
# every thread of bench/tap: two shifts of N1 and N2 compound taps, and
# per tap = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and shut-down cancel.
# The simulated card's and PSAM's own instructions (they stand for the real
# parts) are given apart, from callgrind_annotate's inclusive counts.
#
# Usage: bench/callgrind.sh [BUILD_DIR]     (default build-bench; N1, N2 from
#        the environment, default 50 and 250)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
n1=${N1:-50} n2=${N2:-250}
command -v valgrind >/dev/null || { echo "callgrind: valgrind is not installed" >&2; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/ykt-callgrind.XXXXXX")
trap 'rm -rf "$out"' EXIT

for n in "$n1" "$n2"; do
	valgrind --tool=callgrind --callgrind-out-file="$out/cg.$n" \
		"$build/bench/tap" --no-link --mode compound --taps "$n" >"$out/tap.$n" 2>"$out/vg.$n"
done
total() { awk '/^(summary|totals):/ { print $2; exit }' "$out/cg.$1"; }
# inclusive instructions of one function (first match), 0 if absent
incl() {
	callgrind_annotate --inclusive=yes --threshold=100 "$out/cg.$1" 2>/dev/null >"$out/ann.$1.$2" || true
	awk -v f="$2" 'n == 0 && $0 ~ (":" f "( |$)") { gsub(",", "", $1); print $1; n = 1 }
		END { if (n == 0) print 0 }' "$out/ann.$1.$2"
}
sim() { echo $(( $(incl "$1" sim_card_transmit) + $(incl "$1" sim_psam_transmit) )); }
per() { echo $(( ($2 - $1) / (n2 - n1) )); }
all=$(per "$(total "$n1")" "$(total "$n2")")
simulated=$(per "$(sim "$n1")" "$(sim "$n2")")
echo "instructions per tap (callgrind, all threads): $all instructions"
echo "instructions per tap in the simulated card and PSAM: $simulated instructions"
echo "instructions per tap without the simulator: $((all - simulated)) instructions"
