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

# Prints the path of the busybox the simulated shell is compared with:
# Debian bookworm's busybox-static, the binary the kind e2e's busybox:1.36
# image is built from (hack/kind/build-images.sh). In this order:
#   - $BUSYBOX, if set;
#   - /bin/busybox, if it is that version (`apt-get install busybox-static`);
#   - otherwise the package is downloaded from Debian's archive with
#     `apt-get download` (no root, nothing installed) and unpacked into
#     ${EPHEMERA_CACHE:-$HOME/.cache/ephemera}/busybox/, where later runs
#     find it. A fresh machine needs nothing else for `make lint`.
# The version is checked in every case; a different one is an error, since
# the usage texts and golden outputs are that version's.
set -euo pipefail

version=1:1.35.0-4+deb12u1+b1
want="BusyBox v1.35.0 (Debian $version)"

check() {
  local have
  have=$("$1" 2>&1 | head -n1 || true)
  [[ "$have" == "$want"* ]]
}

if [ -n "${BUSYBOX:-}" ]; then
  check "$BUSYBOX" || { echo "busybox: $BUSYBOX is not \"$want\"" >&2; exit 1; }
  echo "$BUSYBOX"
  exit 0
fi
if [ -x /bin/busybox ] && check /bin/busybox; then
  echo /bin/busybox
  exit 0
fi

dir=${EPHEMERA_CACHE:-$HOME/.cache/ephemera}/busybox/${version//:/_}
bb="$dir/bin/busybox"
if [ -x "$bb" ] && check "$bb"; then
  echo "$bb"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "busybox: downloading busybox-static=$version from Debian's archive" >&2
if ! (cd "$tmp" && apt-get download -q "busybox-static=$version" >&2); then
  # A machine whose package lists were never fetched knows no candidate.
  if [ "$(id -u)" = 0 ] && apt-get update -qq >&2 && (cd "$tmp" && apt-get download -q "busybox-static=$version" >&2); then
    :
  else
    echo "busybox: could not download busybox-static=$version; install it (apt-get install busybox-static) or set BUSYBOX" >&2
    exit 1
  fi
fi
dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/root"
mkdir -p "$dir/bin"
cp "$tmp/root/bin/busybox" "$bb.tmp"
mv "$bb.tmp" "$bb"
check "$bb" || { echo "busybox: the downloaded package is not \"$want\"" >&2; exit 1; }
echo "$bb"
