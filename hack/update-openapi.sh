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

# Regenerates apiserver/openapi/zz_generated.openapi.go: the OpenAPI definitions of
# every type Ephemera serves (k8s.io/api core/v1, admissionregistration/v1 and what
# they reference), generated with k8s.io/kube-openapi's openapi-gen at the version
# pinned in go.mod.
# Server-side apply needs complete, generated definitions: hand-made ones type
# managedFields wrongly: a pod then gets one managedFields entry instead of two.
#
# Usage: hack/update-openapi.sh [OUTPUT_DIR]   (default apiserver/openapi;
# hack/verify-openapi.sh generates into a temporary directory and compares).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-apiserver/openapi}

# The definitions reference every served type, deprecated ones included
# (core/v1 Endpoints): staticcheck's SA1019 does not apply to them.
header=$(mktemp)
trap 'rm -f "$header"' EXIT
{ cat hack/boilerplate.go.txt; echo; echo "//lint:file-ignore SA1019 generated definitions of every served type, deprecated ones included"; } > "$header"

pkgs=(
  k8s.io/api/core/v1
  k8s.io/api/admissionregistration/v1
  k8s.io/api/rbac/v1
  k8s.io/api/authorization/v1
  k8s.io/api/discovery/v1
  k8s.io/api/coordination/v1
  k8s.io/api/authentication/v1
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/version
)
echo "[update-openapi] generating definitions for ${#pkgs[@]} packages..." >&2
go run k8s.io/kube-openapi/cmd/openapi-gen \
  --output-dir "$out" \
  --output-pkg github.com/ephemera-dev/ephemera/apiserver/openapi \
  --output-file zz_generated.openapi.go \
  --go-header-file "$header" \
  --report-filename /dev/null \
  "${pkgs[@]}"
echo "[update-openapi] wrote $out/zz_generated.openapi.go ($(wc -l < "$out/zz_generated.openapi.go") lines)" >&2
