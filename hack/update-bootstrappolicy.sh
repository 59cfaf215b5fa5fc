#!/usr/bin/env bash
# Regenerates controlplane/zz_generated.bootstrappolicy.json: the RBAC bootstrap
# policy (cluster roles, cluster role bindings, and the roles and role bindings
# in kube-system and kube-public) that kube-apiserver v1.37.2 writes at start
# (post-start hook rbac/bootstrap-roles), taken from
# k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy.
# The generator lives in its own module (hack/bootstrappolicy) so that the main
# module never depends on k8s.io/kubernetes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/controlplane/zz_generated.bootstrappolicy.json}"
cd "$root/hack/bootstrappolicy"
echo "[update-bootstrappolicy] generating $out" >&2
go run . -o "$out"
