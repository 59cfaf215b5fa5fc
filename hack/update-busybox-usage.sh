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

# Regenerates kubelet/runtime/busybox/usage/*.txt: the usage text each simulated
# applet prints on a bad option, and usage/applets.txt, the links the image's
# /bin holds (`busybox --list`), captured from the busybox the kind e2e's
# busybox:1.36 image is built from (Debian bookworm's busybox-static,
# hack/kind/build-images.sh), so the simulation prints exactly what it prints.
# hack/busybox.sh finds that binary (BUSYBOX, /bin/busybox, or a download).
# With --verify, compares instead of writing.
set -euo pipefail
cd "$(dirname "$0")/.."

bb=$(hack/busybox.sh)
dir=kubelet/runtime/busybox/usage
applets=(cat date env grep head hostname id kill ls mkdir nslookup printf ps pwd rm sh sleep tail tee touch uname wc whoami)

out=$dir
if [ "${1:-}" = --verify ]; then
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
for a in "${applets[@]}"; do
  "$bb" "$a" --help >"$out/$a.txt" 2>&1 || true
done
"$bb" --list >"$out/applets.txt"
if [ "${1:-}" = --verify ]; then
  diff -ru "$out" "$dir" && echo "verify-busybox-usage: $dir is up to date" >&2
else
  echo "update-busybox-usage: wrote ${#applets[@]} usage texts to $dir" >&2
fi
