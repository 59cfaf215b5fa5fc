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

# Fails when apiserver/openapi/zz_generated.openapi.go is not what
# hack/update-openapi.sh generates: it regenerates into a temporary directory
# and compares.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hack/update-openapi.sh "$tmp" 2>/dev/null
if ! diff -u apiserver/openapi/zz_generated.openapi.go "$tmp/zz_generated.openapi.go" > "$tmp/diff"; then
  head -n 40 "$tmp/diff" >&2
  echo "verify-openapi: apiserver/openapi/zz_generated.openapi.go is stale: run hack/update-openapi.sh" >&2
  exit 1
fi
echo "verify-openapi: up to date" >&2
