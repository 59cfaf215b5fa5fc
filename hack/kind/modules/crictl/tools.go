//go:build tools

// Package tools names the commands hack/kind/build-binaries.sh builds.
package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
