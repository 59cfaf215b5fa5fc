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

# Container images built from local binaries with `docker import` (no registry):
#  - the control-plane images kubeadm asks for, under exactly the names
#    `kubeadm config images list --kubernetes-version $KUBERNETES_VERSION` prints
#    (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, pause);
#    kube-proxy and coredns are skipped (the e2e cluster runs kubeProxyMode:
#    none and needs no cluster DNS);
#  - the test image busybox:1.36 (= docker.io/library/busybox:1.36) from Debian's
#    busybox-static.
# Each image is also saved to $KIND_CACHE/images/<name>.tar (docker save) for
# preloading into the node's containerd. Idempotent: an image whose
# ephemera.inputs label matches its inputs is kept. Prints the images dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

bin="$KIND_CACHE/bin"
imgdir="$KIND_CACHE/images"
mkdir -p "$imgdir"
work=$(mktemp -d /tmp/ephemera-kind-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# image_from_root NAME ROOTDIR TARBALL CHANGES...: import ROOTDIR as NAME unless
# an image with the same inputs label exists; then save it to TARBALL.
image_from_root() {
  local name=$1 root=$2 tarball=$3; shift 3
  local inputs
  inputs=$( (cd "$root" && find . -type f -print0 | sort -z | xargs -0 sha256sum; printf '%s\n' "$@") | sha256sum | cut -c1-16)
  local have
  have=$(docker image inspect -f '{{index .Config.Labels "ephemera.inputs"}}' "$name" 2>/dev/null || true)
  if [ "$have" = "$inputs" ] && [ -f "$tarball" ] && [ "$(cat "$tarball.inputs" 2>/dev/null)" = "$inputs" ]; then
    kind_log "images: $name cached"
    return
  fi
  kind_log "images: $name"
  local changes=(--change "LABEL ephemera.inputs=$inputs")
  local c; for c in "$@"; do changes+=(--change "$c"); done
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . | docker import "${changes[@]}" - "$name" >/dev/null
  docker save "$name" -o "$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  echo "$inputs" >"$tarball.inputs"
}

# A minimal root for a static binary: the binary, /tmp, and name files.
minimal_root() { # dir
  mkdir -p "$1/usr/local/bin" "$1/tmp" "$1/etc" "$1/var/run"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
  printf 'hosts: files dns\n' >"$1/etc/nsswitch.conf"
}

# `build-images.sh test` builds only the test images (for a node image that
# is not built here, e.g. KIND_NODE_IMAGE=kindest/node:...).
mode=${1:-all}
env_path='ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin'
[ "$mode" = test ] || {
mapfile -t wanted < <("$bin/kube/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION" 2>/dev/null)
[ ${#wanted[@]} -gt 0 ] || { kind_log "images: kubeadm config images list printed nothing"; exit 1; }
for image in "${wanted[@]}"; do
  repo=${image%:*}; short=${repo##*/}
  root="$work/$short"
  case "$short" in
    kube-apiserver|kube-controller-manager|kube-scheduler)
      minimal_root "$root"; cp "$bin/kube/$short" "$root/usr/local/bin/"
      image_from_root "$image" "$root" "$imgdir/$short.tar" "$env_path" ;;
    etcd)
      [ "$image" = "registry.k8s.io/etcd:${ETCD_IMAGE_TAG}" ] || kind_log "images: note: kubeadm wants $image, etcd binary is $ETCD_VERSION"
      minimal_root "$root"; cp "$bin/etcd" "$root/usr/local/bin/"; mkdir -p "$root/var/lib/etcd"
      image_from_root "$image" "$root" "$imgdir/etcd.tar" "$env_path" ;;
    pause)
      [ "$image" = "registry.k8s.io/pause:${PAUSE_TAG}" ] || { kind_log "images: kubeadm wants $image, PAUSE_TAG is $PAUSE_TAG: update versions.sh"; exit 1; }
      mkdir -p "$root"; cp "$bin/pause" "$root/pause"
      image_from_root "$image" "$root" "$imgdir/pause.tar" 'ENTRYPOINT ["/pause"]' 'USER 65535:65535' ;;
    *) kind_log "images: skipping $image (not needed: kubeProxyMode none, no cluster DNS)" ;;
  esac
done
}

# Test images: busybox with every applet linked, as the official image has.
bbroot="$work/busybox"
mkdir -p "$bbroot/bin" "$bbroot/tmp" "$bbroot/etc" "$bbroot/root" "$bbroot/var" "$bbroot/home"
chmod 1777 "$bbroot/tmp"
cp /bin/busybox "$bbroot/bin/busybox"
for a in $("$bbroot/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$bbroot/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$bbroot/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$bbroot/etc/group"
image_from_root "busybox:${BUSYBOX_TAG}" "$bbroot" "$imgdir/test-busybox.tar" 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["sh"]'
echo "$imgdir"
