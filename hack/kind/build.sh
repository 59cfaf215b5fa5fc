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
