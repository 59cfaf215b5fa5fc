/*
Copyright The Ephemera Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package referencetest is the one gate of the tests that compare Ephemera
// with the reference binaries (kube-apiserver, etcd and kubectl v1.37.2,
// built by hack/reference-binaries.sh into the directory KUBEBUILDER_ASSETS
// names, as controller-runtime's envtest expects).
//
// Outside `make test` a test whose binaries are missing is skipped, and the
// skip says what is missing and how to get it. `make test` sets
// EPHEMERA_REQUIRE_REFERENCE=1 after building the binaries: there a missing
// binary fails the test, so CI never passes on a comparison that did not run.
package referencetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	// AssetsEnv names the directory of the reference binaries.
	AssetsEnv = "KUBEBUILDER_ASSETS"
	// RequireEnv, when set to anything but "", turns a missing binary into a
	// test failure.
	RequireEnv = "EPHEMERA_REQUIRE_REFERENCE"
)

// Lookup returns the directory of the reference binaries if it holds every
// named one, and otherwise an error that says what is missing and how to get
// it.
func Lookup(binaries ...string) (string, error) {
	dir := os.Getenv(AssetsEnv)
	if dir == "" {
		return "", fmt.Errorf("needs the reference %s: %s is not set (run `make test`, or export %s=$(hack/reference-binaries.sh | tail -n1))", strings.Join(binaries, ", "), AssetsEnv, AssetsEnv)
	}
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("needs the reference %s: %v (run hack/reference-binaries.sh)", b, err)
		}
	}
	return dir, nil
}

// Required reports whether missing reference binaries fail tests rather than
// skip them.
func Required() bool { return os.Getenv(RequireEnv) != "" }

// Assets returns the directory of the reference binaries after checking it
// holds every named one. When one is missing it skips the test with the
// reason, or fails it when Required.
func Assets(tb testing.TB, binaries ...string) string {
	tb.Helper()
	dir, err := Lookup(binaries...)
	if err == nil {
		return dir
	}
	if Required() {
		tb.Fatalf("%v; %s is set, so this comparison must run", err, RequireEnv)
		return ""
	}
	tb.Skip(err.Error())
	return ""
}
