#!/usr/bin/env bash
# A -toolexec wrapper for `go test -fuzz` (hack/fuzz.sh uses it): it keeps
# coverage instrumentation (-d=libfuzzer) only in the packages whose code
# decides an API answer, and compiles everything else without it.
#
# Why: go test -fuzz instruments every package the test binary links. For
# ./fuzz that is about 1,300 packages (all of k8s.io/api's generated code,
# gRPC, OpenTelemetry, ...) and 550 KB of coverage counters, which the
# fuzzing coordinator sends to each worker, JSON-encoded, with every batch
# of inputs (ten times a second per worker): encoding and decoding them took
# about half of the CPU a fuzzing run used. Counters in packages that never
# see the fuzzed request are also noise for the coverage guidance.
set -euo pipefail

tool=$1
shift
if [ "$(basename "$tool")" != compile ]; then
  exec "$tool" "$@"
fi
# The go command keys its build cache on the compiler's -V=full answer: mark
# it, so objects compiled here are never mixed with fully instrumented ones.
if [ "$*" = "-V=full" ]; then
  echo "$("$tool" "$@") ephemera-fuzz-toolexec-v1"
  exit 0
fi

pkg=""
prev=""
for a in "$@"; do
  if [ "$prev" = "-p" ]; then pkg=$a; fi
  prev=$a
done

case "$pkg" in
  # The harness and the input builders: their coverage says nothing about
  # the servers.
  github.com/ephemera-dev/ephemera/fuzz | github.com/ephemera-dev/ephemera/fuzz_test | \
  github.com/ephemera-dev/ephemera/conformance/*) ;;
  # Ephemera's rules and wiring, and the libraries that decode, patch,
  # apply, validate and store a request on both servers.
  github.com/ephemera-dev/ephemera/* | \
  k8s.io/apiserver/pkg/endpoints/* | k8s.io/apiserver/pkg/registry/* | k8s.io/apiserver/pkg/admission/* | \
  k8s.io/apimachinery/pkg/util/strategicpatch | k8s.io/apimachinery/pkg/util/mergepatch | \
  k8s.io/apimachinery/pkg/util/jsonmergepatch | k8s.io/apimachinery/pkg/util/validation* | \
  k8s.io/apimachinery/pkg/api/validation* | k8s.io/apimachinery/pkg/apis/meta/v1/validation | \
  k8s.io/apimachinery/pkg/api/resource | k8s.io/apimachinery/pkg/runtime/serializer/* | \
  gopkg.in/evanphx/json-patch.v4 | github.com/evanphx/json-patch/* | \
  sigs.k8s.io/structured-merge-diff/* | sigs.k8s.io/json/* | k8s.io/pod-security-admission/*)
    exec "$tool" "$@"
    ;;
esac

args=()
for a in "$@"; do
  case "$a" in
    -d=libfuzzer) ;;
    @*) # a response file: one argument per line
      f=$(mktemp)
      grep -vx -- '-d=libfuzzer' "${a#@}" > "$f" || true
      args+=("@$f")
      ;;
    *) args+=("$a") ;;
  esac
done
exec "$tool" "${args[@]}"
