#!/usr/bin/env bash
# Copyright The Ephemera Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

# The kind e2e from nothing, fully offline: host setup, binaries, node image,
# test images (hack/kind/build.sh, cached), then kindtests/ creates a kind
# cluster from the node image, loads the test images, runs the conformance
# suite (API + kubelet tiers) against it and deletes the cluster.
#
#   hack/kind/e2e.sh [extra go test args, e.g. -ginkgo.label-filter=kubelet]
#
# Env: KIND_NODE_IMAGE (default the local build; e.g. kindest/node:v1.37.2),
# KEEP_CLUSTER=1 (keep the cluster), KIND_CLUSTER_NAME (ephemera-e2e),
# REPORT_DIR (default /tmp/ephemera-kind-report), KIND_KUBE_PROXY_MODE (none;
# iptables/nftables need a kube-proxy image, which build-images.sh does not make).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

export KIND_NODE_IMAGE KIND_CLUSTER_NAME=${KIND_CLUSTER_NAME:-ephemera-e2e}
REPORT_DIR=${REPORT_DIR:-/tmp/ephemera-kind-report}
export KIND_LOGS_DIR=${KIND_LOGS_DIR:-$REPORT_DIR/cluster-logs}
export KIND_REPORT_DIR=$REPORT_DIR
mkdir -p "$REPORT_DIR"

start=$SECONDS
"$here/build.sh" >/dev/null
kind_log "e2e: images ready after $((SECONDS - start))s"

# Backstop for a test binary killed without running its own clean-up: remove
# the cluster's node containers (kind labels them with the cluster name).
cleanup() {
  [ "${KEEP_CLUSTER:-}" = 1 ] && return
  local ids
  ids=$(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$KIND_CLUSTER_NAME" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    kind_log "e2e: removing leftover node containers of $KIND_CLUSTER_NAME"
    # shellcheck disable=SC2086
    docker rm -f -v $ids >/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The reference kubectl v1.37.2, for the kubectl debug checks.
KUBECTL="$("$root/hack/reference-binaries.sh" | tail -n1)/kubectl"
export KUBECTL

cd "$root/kindtests"
t0=$SECONDS
set +e
# tee ignores Ctrl-C so that the test binary can still print while it stops
# the suite and deletes the cluster (a dead tee would kill it with SIGPIPE).
go test -count=1 -timeout 40m -v . -args -report-dir="$REPORT_DIR" "$@" 2>&1 | (trap '' INT TERM; exec tee "$REPORT_DIR/go-test.log")
rc=${PIPESTATUS[0]}
set -e
kind_log "e2e: go test exited $rc after $((SECONDS - t0))s (total $((SECONDS - start))s)"
# Ginkgo's summary lines, without colour codes.
sed 's/\x1b\[[0-9;]*m//g' "$REPORT_DIR/go-test.log" | grep -E '^(Ran [0-9]+ of [0-9]+ Specs|SUCCESS!|FAIL!)' | tail -2 >&2 || true
kind_log "e2e: reports in $REPORT_DIR: $(cd "$REPORT_DIR" && ls | tr '\n' ' ')"
exit "$rc"
