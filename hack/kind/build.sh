#!/usr/bin/env bash
# Builds everything the offline kind e2e needs, from nothing (idempotent):
# host setup, binaries, node root, component and test images, node image.
# With KIND_NODE_IMAGE set to another image (e.g. kindest/node:v1.37.2 on a
# machine with internet) the local node image build is skipped; the test images
# are still built. Prints the node image name on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"
start=$SECONDS
"$here/host-setup.sh"
if [ "$KIND_NODE_IMAGE" = "$KIND_LOCAL_NODE_IMAGE" ]; then
  bin=$("$here/build-binaries.sh")
  imgdir=$("$here/build-images.sh")
  rootfs=$("$here/build-rootfs.sh")
  "$here/build-node-image.sh" "$rootfs" "$bin" "$imgdir"
else
  kind_log "build: using KIND_NODE_IMAGE=$KIND_NODE_IMAGE (no local binaries or node image)"
  "$here/build-images.sh" test >/dev/null
  docker image inspect "$KIND_NODE_IMAGE" >/dev/null 2>&1 || kind_log "build: $KIND_NODE_IMAGE is not local yet: kind will pull it"
fi
kind_log "build: done in $((SECONDS - start))s"
echo "$KIND_NODE_IMAGE"
