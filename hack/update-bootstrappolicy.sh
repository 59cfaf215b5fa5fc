#!/usr/bin/env bash
# Regenerates controlplane/zz_generated.bootstrappolicy.json: the RBAC bootstrap
# policy (cluster roles, cluster role bindings, and the roles and role bindings
# in kube-system and kube-public) that kube-apiserver v1.37.2 writes at start
# (post-start hook rbac/bootstrap-roles), taken from
# k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy.
# The generator is a command of the reference module (hack/reference/kubernetes),
# so that the main module never depends on k8s.io/kubernetes, and it is built
# with the reference binaries' flags (hack/reference/goenv.sh), so that on a
# cold machine it and kube-apiserver compile their shared packages once.
# hack/bootstrappolicy/difftest, which needs Ephemera's code, stays a module
# of its own.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/controlplane/zz_generated.bootstrappolicy.json}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$root/hack/reference/kubernetes"
. ../goenv.sh
echo "[update-bootstrappolicy] generating $out" >&2
go run ./cmd/bootstrappolicy -o "$out"
