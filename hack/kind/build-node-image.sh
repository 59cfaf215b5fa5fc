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

# Assembles the kind node image $KIND_LOCAL_NODE_IMAGE from the debootstrapped
# root (build-rootfs.sh), kind's images/base files, the binaries
# (build-binaries.sh) and the component images preloaded into containerd
# (build-images.sh), the way kind's base Dockerfile and `kind build node-image`
# do. Idempotent: an image whose ephemera.inputs label matches is kept.
# Usage: build-node-image.sh ROOTFS_TAR BIN_DIR IMAGES_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"
rootfs_tar=$1 bin=$2 imgdir=$3
image=$KIND_LOCAL_NODE_IMAGE

kind_dir=$(cd "$here" && go mod download -json "sigs.k8s.io/kind@${KIND_VERSION}" | jq -r .Dir)
base_files="$kind_dir/images/base/files"
[ -d "$base_files" ] || { kind_log "node-image: $base_files missing"; exit 1; }

# Inputs of the image: everything copied in.
inputs=$( {
  echo "$rootfs_tar $KIND_VERSIONS_KEY"
  (cd "$bin" && find . -type f ! -name '.*' -print0 | sort -z | xargs -0 sha256sum)
  cat "$imgdir"/*.tar.inputs
  cat "$here/build-node-image.sh" "$here/cni-bridge.conflist" "$here/default-storage.yaml"
} | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{index .Config.Labels "ephemera.inputs"}}' "$image" 2>/dev/null || true)
if [ "$have" = "$inputs" ]; then
  kind_log "node-image: $image cached"
  exit 0
fi

# 1. The Debian root as a base image (cached by the tarball's name).
base="ephemera/kind-base:$(basename "$rootfs_tar" .tar)"
if ! docker image inspect "$base" >/dev/null 2>&1; then
  kind_log "node-image: importing $rootfs_tar as $base"
  docker import "$rootfs_tar" "$base" >/dev/null
fi

# 2. Everything kind's base Dockerfile and node-image build add, staged as a
#    tree of /etc, /usr, /opt and /kind (never /lib, /bin, /sbin: merged /usr).
stage=$(mktemp -d /tmp/ephemera-kind-node.XXXXXX)
cid=""
cleanup() { rm -rf "$stage"; [ -z "$cid" ] || docker rm -f "$cid" >/dev/null 2>&1 || true; }
trap cleanup EXIT
s=$stage
mkdir -p "$s/usr/local/bin" "$s/usr/local/sbin" "$s/usr/bin" "$s/opt/cni/bin" "$s/kind/bin" "$s/kind/manifests" \
  "$s/etc/containerd" "$s/etc/default" "$s/etc/sysctl.d" "$s/etc/systemd/system/kubelet.service.d" \
  "$s/etc/systemd/system/multi-user.target.wants" "$s/etc/kubernetes/manifests" "$s/etc/cni/net.d" "$s/LICENSES"
install -m 0755 "$base_files"/usr/local/bin/* "$s/usr/local/bin/"
install -m 0644 "$base_files"/kind/README.txt "$s/kind/"
install -m 0755 "$base_files"/kind/bin/* "$s/kind/bin/"
install -m 0644 "$base_files"/LICENSES/* "$s/LICENSES/"
install -m 0644 "$base_files"/etc/crictl.yaml "$s/etc/"
install -m 0644 "$base_files"/etc/default/* "$s/etc/default/"
install -m 0644 "$base_files"/etc/sysctl.d/* "$s/etc/sysctl.d/"
install -m 0644 "$base_files"/etc/systemd/system/*.service "$base_files"/etc/systemd/system/*.slice "$s/etc/systemd/system/"
install -m 0644 "$base_files"/etc/systemd/system/kubelet.service.d/* "$s/etc/systemd/system/kubelet.service.d/"
# containerd config: the pause image we build, and restrict_oom_score_adj
# because runc in the node cannot lower oom_score_adj without CAP_SYS_RESOURCE
# (which this VM's bounding set lacks); otherwise no static pod starts.
sed -e "s|sandbox_image = \".*\"|sandbox_image = \"registry.k8s.io/pause:${PAUSE_TAG}\"|" \
    -e 's|restrict_oom_score_adj = false|restrict_oom_score_adj = true|' \
    "$base_files/etc/containerd/config.toml" >"$s/etc/containerd/config.toml"
grep -q "pause:${PAUSE_TAG}" "$s/etc/containerd/config.toml" && grep -q 'restrict_oom_score_adj = true' "$s/etc/containerd/config.toml" \
  || { kind_log "node-image: containerd config edit failed"; exit 1; }
# The enabled units and the masked one (systemctl enable/mask, as symlinks).
for u in kubelet containerd undo-mount-hacks; do
  ln -s "/etc/systemd/system/$u.service" "$s/etc/systemd/system/multi-user.target.wants/$u.service"
done
ln -s /dev/null "$s/etc/systemd/system/systemd-binfmt.service"
# Binaries.
install -m 0755 "$bin/containerd" "$bin/ctr" "$bin/containerd-shim-runc-v2" "$bin/crictl" "$s/usr/local/bin/"
install -m 0755 "$bin/runc" "$s/usr/local/sbin/runc"
install -m 0755 "$bin"/cni/* "$s/opt/cni/bin/"
install -m 0755 "$bin/kube/kubelet" "$bin/kube/kubeadm" "$bin/kube/kubectl" "$s/usr/bin/"
# The base OCI spec for CRI containers, as kind makes it.
"$bin/ctr" oci spec \
  | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' >"$s/etc/containerd/cri-base.json"
printf '%s' "$KUBERNETES_VERSION" >"$s/kind/version"
install -m 0644 "$here/default-storage.yaml" "$s/kind/manifests/default-storage.yaml"
install -m 0644 "$here/cni-bridge.conflist" "$s/etc/cni/net.d/10-ephemera-bridge.conflist"

# 3. Run the base privileged, add the tree, preload the images into its
#    containerd (as kind's node-image build does), and commit.
kind_log "node-image: assembling $image"
cid=$(docker run -d --privileged --entrypoint /usr/bin/sleep "$base" infinity)
tar --numeric-owner --owner=0 --group=0 -C "$s" -c etc usr opt kind LICENSES | docker cp - "$cid:/"
docker exec -d "$cid" sh -c 'mkdir -p /var/log && exec containerd >/var/log/containerd-build.log 2>&1'
for _ in $(seq 1 100); do docker exec "$cid" ctr version >/dev/null 2>&1 && break; sleep 0.2; done
docker exec "$cid" ctr version >/dev/null || { docker exec "$cid" tail -20 /var/log/containerd-build.log >&2; exit 1; }
for t in "$imgdir"/*.tar; do
  case "$(basename "$t")" in test-*) continue ;; esac  # test images are loaded per cluster
  kind_log "node-image: preloading $(basename "$t")"
  docker exec -i "$cid" ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned \
    --all-platforms --no-unpack --digests - <"$t" 2>&1 >/dev/null | { grep -v 'support for cgroup v1 is deprecated' || true; } >&2
done
docker exec "$cid" ctr -n k8s.io images ls -q 2>/dev/null | grep -v '^sha256:\|^import-' | sed 's/^/[kind-image] node-image:   /' >&2
docker exec "$cid" sh -c 'pkill -TERM containerd; for i in $(seq 1 50); do pgrep -x containerd >/dev/null || exit 0; sleep 0.1; done; pkill -KILL containerd'
docker exec "$cid" rm -rf /var/log/containerd-build.log /tmp/*
old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
# Docker 20.10's commit rejects STOPSIGNAL; kind deletes nodes with rm -f.
docker commit \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  --change 'CMD []' \
  --change 'ENV container=docker' \
  --change "LABEL ephemera.inputs=$inputs" \
  "$cid" "$image" >/dev/null
# Drop the image this one replaces (800 MB each), unless something uses it.
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
  docker rmi "$old_id" >/dev/null 2>&1 || true
fi
kind_log "node-image: $image built ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MB", $1/1e6}'))"
