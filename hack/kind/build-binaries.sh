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

# Builds the pinned node binaries from the Go module proxy (nothing is
# downloaded prebuilt) into $KIND_CACHE/bin, each once: a rebuild with the
# outputs present does nothing. Prints the bin directory on stdout.
#
#   kube/   kubelet kubeadm kubectl kube-apiserver kube-controller-manager
#           kube-scheduler kube-proxy           (modules/kubernetes)
#   etcd                                        (../reference/etcd)
#   containerd ctr containerd-shim-runc-v2      (modules/containerd)
#   runc (cgo, seccomp)                         (modules/runc)
#   crictl                                      (modules/crictl)
#   cni/    bridge host-local loopback ptp portmap (modules/cni)
#   pause   (static C: pause.c)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

bin="$KIND_CACHE/bin"
mkdir -p "$bin/kube" "$bin/cni"
export GOFLAGS="-mod=readonly -buildvcs=false"

# Kubernetes release version stamps (as hack/reference-binaries.sh sets them):
# without them the binaries say v0.0.0-master and kubeadm refuses to run.
minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
kstamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kstamp+=" -X $pkg.gitVersion=${KUBERNETES_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
  kstamp+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  kstamp+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# The modules' go.mod files must pin what versions.sh says.
check_pin() { # module-dir module version
  grep -qE "^(require )?[[:space:]]*$2 $3( |\$)" "$here/$1/go.mod" \
    || { kind_log "binaries: $1/go.mod does not require $2 $3 (versions.sh): update it"; exit 1; }
}
check_pin modules/kubernetes k8s.io/kubernetes "$KUBERNETES_VERSION"
check_pin ../reference/etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
check_pin modules/containerd github.com/containerd/containerd/v2 "$CONTAINERD_VERSION"
check_pin modules/runc github.com/opencontainers/runc "$RUNC_VERSION"
check_pin modules/crictl sigs.k8s.io/cri-tools "$CRICTL_VERSION"
check_pin modules/cni github.com/containernetworking/plugins "$CNI_PLUGINS_VERSION"

have_all() { local f; for f in "$@"; do [ -x "$f" ] || return 1; done; }

step() { # label outputs... -- command...
  local label=$1; shift
  local outs=()
  while [ "$1" != -- ]; do outs+=("$1"); shift; done; shift
  if have_all "${outs[@]}"; then kind_log "binaries: $label cached"; return; fi
  kind_log "binaries: building $label ..."
  local start=$SECONDS
  "$@"
  have_all "${outs[@]}" || { kind_log "binaries: $label: outputs missing after build"; exit 1; }
  kind_log "binaries: $label built in $((SECONDS - start))s"
}

gobuild() { # dir cgo tags ldflags outdir pkgs...
  local dir=$1 cgo=$2 tags=$3 ldflags=$4 out=$5; shift 5
  local tmp; tmp=$(mktemp -d "$bin/.tmp.XXXXXX")
  (cd "$dir" && CGO_ENABLED=$cgo go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$tmp/" "$@")
  mv -f "$tmp"/* "$out/"
  rmdir "$tmp"
}

# kube-apiserver and kubectl (and etcd) are the same builds, with the same
# stamps, as hack/reference-binaries.sh makes: reuse them when present.
ref="$EPHEMERA_CACHE/reference/k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}"
for b in kube-apiserver kubectl; do
  if [ ! -x "$bin/kube/$b" ] && [ -x "$ref/$b" ]; then cp "$ref/$b" "$bin/kube/$b"; kind_log "binaries: $b reused from $ref"; fi
done
if [ ! -x "$bin/etcd" ] && [ -x "$ref/etcd" ]; then cp "$ref/etcd" "$bin/etcd"; kind_log "binaries: etcd reused from $ref"; fi

k8s=(kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
missing=()
for b in "${k8s[@]}"; do [ -x "$bin/kube/$b" ] || missing+=("k8s.io/kubernetes/cmd/$b"); done
step "kubernetes ${KUBERNETES_VERSION}" "${k8s[@]/#/$bin/kube/}" -- \
  gobuild "$here/modules/kubernetes" 0 "" "$kstamp" "$bin/kube" "${missing[@]}"

# etcd: the lead's hack/reference/etcd module pins exactly this etcd server.
build_etcd() {
  (cd "$here/../reference/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$bin/etcd.tmp" "$bin/etcd"
}
step "etcd ${ETCD_VERSION}" "$bin/etcd" -- build_etcd

cstamp="-X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION} -X github.com/containerd/containerd/v2/version.Revision=${CONTAINERD_VERSION}"
step "containerd ${CONTAINERD_VERSION}" "$bin/containerd" "$bin/ctr" "$bin/containerd-shim-runc-v2" -- \
  gobuild "$here/modules/containerd" 0 "no_aufs no_zfs no_btrfs no_devmapper" "$cstamp" "$bin" \
  github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr \
  github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2

# runc needs cgo and libseccomp (Debian's libseccomp-dev) for seccomp profiles;
# its version comes from its embedded VERSION file.
step "runc ${RUNC_VERSION}" "$bin/runc" -- \
  gobuild "$here/modules/runc" 1 "seccomp" "-X main.gitCommit=${RUNC_VERSION}" "$bin" github.com/opencontainers/runc

step "crictl ${CRICTL_VERSION}" "$bin/crictl" -- \
  gobuild "$here/modules/crictl" 0 "" "-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}" "$bin" sigs.k8s.io/cri-tools/cmd/crictl

cni=(bridge host-local loopback ptp portmap)
step "cni plugins ${CNI_PLUGINS_VERSION}" "${cni[@]/#/$bin/cni/}" -- \
  gobuild "$here/modules/cni" 0 "" "-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${CNI_PLUGINS_VERSION}" "$bin/cni" \
  github.com/containernetworking/plugins/plugins/main/bridge github.com/containernetworking/plugins/plugins/ipam/host-local \
  github.com/containernetworking/plugins/plugins/main/loopback github.com/containernetworking/plugins/plugins/main/ptp \
  github.com/containernetworking/plugins/plugins/meta/portmap

build_pause() { gcc -static -Os -s -o "$bin/pause" "$here/pause.c"; }
step "pause ${PAUSE_TAG}" "$bin/pause" -- build_pause

echo "$bin"
