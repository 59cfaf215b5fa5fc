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

package benchmarks_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// The conformance suite is a Ginkgo suite, which runs once per process: the
// benchmark builds its test binary once and runs the API tier in a process
// per target, as `make conformance` does.
var (
	suiteOnce sync.Once
	suiteBin  string
	suiteDir  string
	suiteErr  error
)

func buildSuite(b *testing.B) (bin, dir string) {
	suiteOnce.Do(func() {
		out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/ephemera-dev/ephemera/conformance").Output()
		if err != nil {
			suiteErr = err
			return
		}
		suiteDir = strings.TrimSpace(string(out))
		tmp, err := os.MkdirTemp("", "ephemera-bench-")
		if err != nil {
			suiteErr = err
			return
		}
		suiteBin = filepath.Join(tmp, "conformance.test")
		if out, err := exec.Command("go", "test", "-c", "-o", suiteBin, "github.com/ephemera-dev/ephemera/conformance").CombinedOutput(); err != nil {
			suiteErr = &buildError{err: err, out: out}
		}
	})
	if suiteErr != nil {
		b.Fatalf("building the conformance suite: %v", suiteErr)
	}
	return suiteBin, suiteDir
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// BenchmarkConformanceAPITier measures the wall time of the conformance
// suite's API tier (label "api") on each target, from process start to exit.
func BenchmarkConformanceAPITier(b *testing.B) {
	for _, target := range targets {
		b.Run(target, func(b *testing.B) {
			if target == "envtest" {
				referencetest.Assets(b, "kube-apiserver", "etcd")
			}
			bin, dir := buildSuite(b)
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(bin, "-test.count=1", "-test.timeout=20m",
					"-ginkgo.label-filter=api", "-ginkgo.no-color", "-target="+target)
				cmd.Dir = dir
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				t0 := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("the API tier failed on %s: %v\n%s", target, err, tail(out.String(), 40))
				}
				total += time.Since(t0)
			}
			b.StopTimer()
			recordDuration("conformance API tier (wall)", target, total/time.Duration(b.N))
		})
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
