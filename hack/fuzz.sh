#!/usr/bin/env bash
# Runs every differential fuzz target in ./fuzz (Ephemera against a real
# kube-apiserver) for FUZZTIME each, one `go test -fuzz` per target (Go fuzzes
# one target per invocation), and prints each target's executions per second.
#
#   FUZZTIME=10m hack/fuzz.sh [target...]
#
# Needs the reference binaries (KUBEBUILDER_ASSETS; `make fuzz` sets it).
# A difference fails the run; Go writes the input to
# fuzz/testdata/fuzz/<target>/ and the failure message prints it as a
# corpus entry to commit.
set -euo pipefail

cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-60s}
# Go minimizes every input that adds coverage, for up to a minute by default,
# and reports no progress meanwhile; at tens of milliseconds per execution
# (two servers) that stalls a worker on the first new input (the old
# single-server target spent its whole run there). A few executions each
# are enough: the failure message of a difference prints the request
# itself, as a corpus entry.
minimize=${FUZZMINIMIZETIME:-20x}
out=${FUZZ_OUTPUT:-_output/fuzz}
mkdir -p "$out"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(grep -ho '^func Fuzz[A-Za-z0-9_]*' fuzz/*_test.go | sed 's/^func //' | sort)
fi

summary=()
status=0
for t in "${targets[@]}"; do
  echo "== $t for $fuzztime"
  log="$out/$t.log"
  if ! go test ./fuzz/ -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" \
      -toolexec "$PWD/hack/fuzz-toolexec.sh" 2>&1 | tee "$log" | grep -E '^(fuzz:|--- |FAIL|ok |PASS)'; then
    status=1
  fi
  # The coordinator's last progress line: "fuzz: elapsed: 10m0s, execs: N (R/sec), ...".
  # The rate over the whole run is N over the elapsed time; the logged rate
  # covers the last interval only.
  line=$(grep '^fuzz: elapsed: .*execs:' "$log" | tail -n1 || true)
  rate=$(awk -v l="$line" 'BEGIN {
    if (!match(l, /elapsed: [0-9hms.]+/)) { print "n/a"; exit }
    e = substr(l, RSTART + 9, RLENGTH - 9); s = 0
    if (match(e, /[0-9.]+h/)) s += substr(e, RSTART, RLENGTH - 1) * 3600
    if (match(e, /[0-9.]+m/)) s += substr(e, RSTART, RLENGTH - 1) * 60
    if (match(e, /[0-9.]+s/)) s += substr(e, RSTART, RLENGTH - 1)
    match(l, /execs: [0-9]+/); n = substr(l, RSTART + 7, RLENGTH - 7)
    if (s > 0) printf "%d execs in %ds: %.0f execs/s", n, s, n / s; else print "n/a"
  }')
  summary+=("$t: $rate")
done

echo "== executions per second (whole run, baseline coverage included)"
printf '  %s\n' "${summary[@]}"
exit $status
