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

# Tests that need the reference binaries have one gate, internal/referencetest:
# a skip that says why outside `make test`, a failure inside it. A build tag
# would hide such a test from `make test` (which sets no tags), go vet and
# staticcheck, so none may be used for that.
set -euo pipefail
cd "$(dirname "$0")/.."
if git grep -nE '^//go:build .*\benvtest\b' -- '*.go'; then
  echo "verify-test-gate: gate tests on the reference binaries with internal/referencetest, not a build tag" >&2
  exit 1
fi
