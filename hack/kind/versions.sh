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

# The one place the kind e2e versions are pinned. Sourced by hack/kind/*.sh.
# Kubernetes and etcd come from the project's hack/versions.sh so the kind
# cluster runs exactly the reference server the conformance suite targets.
# hack/kind/modules/*/go.mod must require the same versions as below.
_kind_versions_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../versions.sh
. "$_kind_versions_dir/../versions.sh"   # KUBERNETES_VERSION, ETCD_VERSION

KIND_VERSION=v0.33.0
CONTAINERD_VERSION=v2.3.4
RUNC_VERSION=v1.4.3
CRICTL_VERSION=v1.36.0
CNI_PLUGINS_VERSION=v1.9.1
PAUSE_TAG=3.10.2
# kubeadm's default etcd image tag for this Kubernetes release.
ETCD_IMAGE_TAG="${ETCD_VERSION#v}-0"
DEBIAN_SUITE=bookworm
BUSYBOX_TAG=1.36

# Everything that changes a built artifact goes into the cache key.
KIND_VERSIONS_KEY="k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}-crictl-${CRICTL_VERSION}-cni-${CNI_PLUGINS_VERSION}-pause-${PAUSE_TAG}"
EPHEMERA_CACHE=${EPHEMERA_CACHE:-$HOME/.cache/ephemera}
KIND_CACHE="$EPHEMERA_CACHE/kind/$KIND_VERSIONS_KEY"

# The node image the e2e uses. Set KIND_NODE_IMAGE (e.g. kindest/node:v1.37.2,
# with internet access) to skip the local build and use that image instead.
KIND_LOCAL_NODE_IMAGE="ephemera/kind-node:${KUBERNETES_VERSION}"
KIND_NODE_IMAGE=${KIND_NODE_IMAGE:-$KIND_LOCAL_NODE_IMAGE}

kind_log() { printf '[kind-image] %s\n' "$*" >&2; }
