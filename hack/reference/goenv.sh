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

# Sourced by every build in hack/reference/*: the reference binaries
# (hack/reference-binaries.sh) and the generators that read
# k8s.io/kubernetes (hack/update-bootstrappolicy.sh,
# hack/update-internaltypes.sh). One module and one set of flags, so the
# packages the generators share with kube-apiserver (most of theirs) are
# compiled once on a cold machine: Go reuses a compiled package only when
# its module versions and build flags are the same.
export CGO_ENABLED=0
export GOFLAGS="-mod=mod -trimpath"
