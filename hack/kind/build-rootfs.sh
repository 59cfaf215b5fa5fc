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

# The node's base root filesystem, made the way kind's images/base/Dockerfile
# makes its base stage, but from `debootstrap --variant=minbase` of Debian
# (no registry: nothing can be pulled). Cached as a tarball keyed by suite and
# package list; prints the tarball path on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

# kind's package list minus what needs no-ops here (curl, nfs-common,
# open-iscsi, fuse-overlayfs: rootless/storage extras the e2e does not use).
packages=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,jq,procps,e2fsprogs
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$(printf '%s %s %s' "$DEBIAN_SUITE" "$packages" "$mirror" | sha256sum | cut -c1-12)
out="$EPHEMERA_CACHE/kind/rootfs/${DEBIAN_SUITE}-${key}.tar"
if [ -f "$out" ]; then
  kind_log "rootfs: cached $out"
  echo "$out"; exit 0
fi
mkdir -p "$(dirname "$out")"
work=$(mktemp -d /tmp/ephemera-kind-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
kind_log "rootfs: debootstrap --variant=minbase $DEBIAN_SUITE from $mirror (about a minute) ..."
start=$SECONDS
debootstrap --variant=minbase --include="$packages" "$DEBIAN_SUITE" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -30 "$work/debootstrap.log" >&2; exit 1; }
kind_log "rootfs: debootstrap done in $((SECONDS - start))s"

r="$work/root"
# The systemd clean-up of kind's base image: no units that make no sense in a
# container, journald not reading kmsg, and systemd as /sbin/init.
find "$r/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$r"/lib/systemd/system/multi-user.target.wants/* \
      "$r"/etc/systemd/system/*.wants/* \
      "$r"/lib/systemd/system/local-fs.target.wants/* \
      "$r"/lib/systemd/system/sockets.target.wants/*udev* \
      "$r"/lib/systemd/system/sockets.target.wants/*initctl* \
      "$r"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$r/sbin/init"
# Keep the image small, as kind's clean-install does.
rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/log/* "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/locale/*
tar --numeric-owner -C "$r" -cf "$out.tmp" .
mv "$out.tmp" "$out"
kind_log "rootfs: $(du -h "$out" | cut -f1) at $out"
echo "$out"
