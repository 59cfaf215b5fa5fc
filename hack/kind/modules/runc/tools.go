//go:build tools

// Package tools names the commands hack/kind/build-binaries.sh builds.
package tools

import (
	_ "github.com/opencontainers/runc"
)
