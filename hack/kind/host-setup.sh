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

# Prepares this host for the offline kind e2e (idempotent):
#  - installs docker.io, debootstrap, jq, gcc, libc6-dev, libseccomp-dev, busybox-static
#    when missing (one `apt-get update` first);
#  - installs runc-wrapper as dockerd's default runtime (see the wrapper for why);
#  - starts dockerd if it is not running and waits for its socket.
# Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

[ "$(id -u)" = 0 ] || { kind_log "host-setup: must run as root"; exit 1; }

pkgs=(docker.io debootstrap jq gcc libc6-dev libseccomp-dev busybox-static)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  kind_log "host-setup: installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  kind_log "host-setup: packages present"
fi

# The wrapper runtime.
wrapper=/usr/local/libexec/ephemera/runc-wrapper
if ! cmp -s "$here/runc-wrapper" "$wrapper" 2>/dev/null; then
  kind_log "host-setup: installing $wrapper"
  install -D -m 0755 "$here/runc-wrapper" "$wrapper"
fi

daemon_json=/etc/docker/daemon.json
want=$(jq -n --arg p "$wrapper" '{"runtimes": {"ephemera-runc": {"path": $p}}, "default-runtime": "ephemera-runc"}')
have='{}'
[ -f "$daemon_json" ] && have=$(cat "$daemon_json")
merged=$(jq -S -n --argjson a "$have" --argjson b "$want" '$a * $b')
restart=0
if [ "$(jq -S . <<<"$have")" != "$merged" ]; then
  kind_log "host-setup: writing $daemon_json (default runtime ephemera-runc)"
  mkdir -p /etc/docker
  printf '%s\n' "$merged" >"$daemon_json"
  restart=1
fi

docker_up() { docker info >/dev/null 2>&1; }
if docker_up && [ "$restart" = 1 ]; then
  kind_log "host-setup: restarting dockerd for the new runtime"
  if command -v systemctl >/dev/null && systemctl is-active -q docker 2>/dev/null; then
    systemctl restart docker
  else
    pid=$(cat /var/run/docker.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" && while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
fi
if ! docker_up; then
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    kind_log "host-setup: starting docker.service"
    systemctl start docker || true
  fi
fi
if ! docker_up; then
  kind_log "host-setup: starting dockerd (log: /var/log/ephemera-dockerd.log)"
  nohup dockerd >/var/log/ephemera-dockerd.log 2>&1 &
fi
for _ in $(seq 1 150); do
  docker_up && break
  sleep 0.2
done
docker_up || { kind_log "host-setup: dockerd did not come up; see /var/log/ephemera-dockerd.log"; exit 1; }
rt=$(docker info --format '{{.DefaultRuntime}}')
[ "$rt" = ephemera-runc ] || { kind_log "host-setup: dockerd default runtime is $rt, want ephemera-runc"; exit 1; }
kind_log "host-setup: dockerd ready (default runtime $rt)"
