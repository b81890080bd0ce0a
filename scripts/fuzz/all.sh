#!/usr/bin/env bash
# all.sh [SECONDS] — a short pass of every fuzz target in the module, so that a decoder
# regression shows in CI: each target runs for SECONDS (default 5) of fuzzing after its seed
# corpus, with minimisation capped (-fuzzminimizetime) because minimising a new input can
# otherwise take the whole budget (transcript FuzzParse managed 19 inputs in 2 minutes without
# the cap). A crash fails the script and leaves the input under the package's testdata/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-5}"
count=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    printf 'fuzz %s %s: ' "${pkg#github.com/sessionsim/sessionsim/}" "$t"
    out=$(go test -run '^$' -fuzz "^${t}\$" -fuzztime "${secs}s" -fuzzminimizetime 1s "$pkg" 2>&1) || {
      echo "FAILED"; echo "$out" | tail -40; exit 1; }
    # The last progress line says how many inputs ran.
    echo "$out" | grep -o 'execs: [0-9]*' | tail -1 || echo ok
    count=$((count + 1))
  done
done
echo "fuzz: $count targets, no failure"
