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

# Regenerates kubelet/runtime/testdata/busybox-golden.txt: what the real
# busybox prints for each line of testdata/busybox-cases.txt, run as
# `sh -c "SETUP; CASE"` in a root made like the kind e2e's busybox:1.36 image
# (hack/kind/build-images.sh: Debian bookworm's busybox-static with a link per
# applet, /etc/passwd and /etc/group), as PID 1 of new PID, mount and UTS
# namespaces with hostname "web". Needs root (unshare, chroot) and
# busybox-static, which hack/busybox.sh finds (BUSYBOX, /bin/busybox, or a
# download).
set -euo pipefail
cd "$(dirname "$0")/.."
bb=$(hack/busybox.sh)
cases=kubelet/runtime/testdata/busybox-cases.txt
out=kubelet/runtime/testdata/busybox-golden.txt
setup='cd /tmp && printf "a\nb\nc\nroot here\nline two\n" > f && printf "g1\ng2\nb\n" > g && cd /'

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,tmp,etc,root,var,home,proc}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

: >"$out.tmp"
while IFS= read -r c; do
  rm -rf "${root:?}"/tmp/*
  res=$(unshare -p -f -m -u sh -c 'mount -t proc proc "$1/proc" && hostname web && chroot "$1" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=web HOME=/root sh -c "$2" 2>"$1/.stderr" </dev/null; echo "exit $?"' sh "$root" "$setup; $c" 2>/dev/null || true)
  printf '### %s\n%s\n--- stderr\n%s\n' "$c" "$res" "$(cat "$root/.stderr" 2>/dev/null)" >>"$out.tmp"
done <"$cases"
mv "$out.tmp" "$out"
echo "update-busybox-golden: $(grep -c '^### ' "$out") cases in $out" >&2
