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

# Fails when strategy/validation/zz_generated.internaltypes.go is not what
# hack/update-internaltypes.sh generates: it regenerates into a temporary file
# and compares.
set -euo pipefail
cd "$(dirname "$0")/.."
file=strategy/validation/zz_generated.internaltypes.go
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hack/update-internaltypes.sh "$tmp/out.go" 2>/dev/null
if ! diff -u "$file" "$tmp/out.go" > "$tmp/diff"; then
  head -n 40 "$tmp/diff" >&2
  echo "verify-internaltypes: $file is stale: run hack/update-internaltypes.sh" >&2
  exit 1
fi
echo "verify-internaltypes: up to date" >&2
