# The one place the reference versions are pinned. Sourced by hack/ scripts.
# hack/reference/*/go.mod must require the same versions.
KUBERNETES_VERSION=v1.37.2
ETCD_VERSION=v3.7.0
