#!/usr/bin/env bash
# Fails when controlplane/zz_generated.bootstrappolicy.json is not what
# hack/update-bootstrappolicy.sh generates today.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
"$root/hack/update-bootstrappolicy.sh" "$tmp"
if ! diff -u "$root/controlplane/zz_generated.bootstrappolicy.json" "$tmp"; then
  echo "[verify-bootstrappolicy] controlplane/zz_generated.bootstrappolicy.json is stale: run hack/update-bootstrappolicy.sh" >&2
  exit 1
fi
echo "[verify-bootstrappolicy] up to date" >&2
# Ephemera's RBAC rule evaluation against upstream's, on random policies.
(cd "$root/hack/bootstrappolicy" && go run ./difftest -n 20000)
