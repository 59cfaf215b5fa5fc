//go:build tools

// Package tools names the command hack/reference-binaries.sh builds.
package tools

import _ "go.etcd.io/etcd/server/v3"
