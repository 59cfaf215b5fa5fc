#!/usr/bin/env bash
# Regenerates apiserver/openapi/zz_generated.openapi.go: the OpenAPI definitions of
# every type Ephemera serves (k8s.io/api core/v1 and what it references), generated
# with k8s.io/kube-openapi's openapi-gen at the version pinned in go.mod.
# Server-side apply needs complete, generated definitions: hand-made ones type
# managedFields wrongly (see ../shared/reference/apiserver-wiring.md).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(
  k8s.io/api/core/v1
  k8s.io/api/rbac/v1
  k8s.io/api/authorization/v1
  k8s.io/api/authentication/v1
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/version
)
echo "[update-openapi] generating definitions for ${#pkgs[@]} packages..." >&2
go run k8s.io/kube-openapi/cmd/openapi-gen \
  --output-dir apiserver/openapi \
  --output-pkg github.com/ephemera-dev/ephemera/apiserver/openapi \
  --output-file zz_generated.openapi.go \
  --go-header-file hack/boilerplate.go.txt \
  --report-filename /dev/null \
  "${pkgs[@]}"
echo "[update-openapi] wrote apiserver/openapi/zz_generated.openapi.go ($(wc -l < apiserver/openapi/zz_generated.openapi.go) lines)" >&2
