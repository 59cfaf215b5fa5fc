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

# Regenerates strategy/validation/zz_generated.internaltypes.go: tag-less mirrors of
# the internal k8s.io/kubernetes/pkg/apis/core structs reachable from core.PodSpec and
# core.EphemeralContainer. kube-apiserver renders its "may not be changed" diffs by
# JSON-marshalling those internal structs (Go field names, internal field order), and
# Ephemera reproduces the text from v1 objects through these mirrors.
# The generator is a command of the reference module (hack/reference/kubernetes),
# so that the main module never depends on k8s.io/kubernetes, built with the
# reference binaries' flags (hack/reference/goenv.sh) so that it shares their
# compiled packages. hack/internaltypes holds the tools that also need Ephemera's
# code (difftest, capture).
#
# Usage: hack/update-internaltypes.sh [OUTPUT_FILE]   (default the file above;
# hack/verify-internaltypes.sh generates into a temporary file and compares).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/strategy/validation/zz_generated.internaltypes.go}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$root/hack/reference/kubernetes"
. ../goenv.sh
echo "[update-internaltypes] generating $out" >&2
go run ./cmd/internaltypes -header "$root/hack/boilerplate.go.txt" -o "$out"
echo "[update-internaltypes] wrote $(grep -c '^type ' "$out") mirror types" >&2
