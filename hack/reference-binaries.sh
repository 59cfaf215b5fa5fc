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

# Builds the reference binaries Ephemera is compared against, from the Go module
# proxy only: kube-apiserver and kubectl (k8s.io/kubernetes), and etcd.
# They land in a cache outside the repository, keyed by version, and are reused:
#
#   ${EPHEMERA_CACHE:-$HOME/.cache/ephemera}/reference/k8s-v1.37.2-etcd-v3.7.0/
#       kube-apiserver  kubectl  etcd
#
# The directory is laid out the way envtest expects KUBEBUILDER_ASSETS to be.
# Prints that directory on stdout as its last line; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

cache=${EPHEMERA_CACHE:-$HOME/.cache/ephemera}
out="$cache/reference/k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}"
mkdir -p "$out"

log() { printf '[reference-binaries] %s\n' "$*" >&2; }

# Version stamps, as the Kubernetes release build sets them; without them the
# binaries report v0.0.0-master.
minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=${KUBERNETES_VERSION}"
  stamp+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
  stamp+=" -X $pkg.gitTreeState=clean"
  stamp+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  stamp+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build() { # name module-dir package ldflags
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  if [ -x "$out/$name" ]; then
    log "$name: cached at $out/$name"
    return
  fi
  log "$name: building $pkg (a few minutes on a cold cache)..."
  local start=$SECONDS
  (cd "$dir" && . "$here/reference/goenv.sh" && go build -ldflags "-s -w $ldflags" -o "$out/$name.tmp" "$pkg")
  mv "$out/$name.tmp" "$out/$name"
  log "$name: built in $((SECONDS - start))s"
}

build etcd "$here/reference/etcd" go.etcd.io/etcd/server/v3 ""
build kube-apiserver "$here/reference/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver "$stamp"
build kubectl "$here/reference/kubernetes" k8s.io/kubernetes/cmd/kubectl "$stamp"

echo "$out"
