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

package referencetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of ending the
// calling test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skip(args ...any)          { r.skipped = args[0].(string) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = f }

func TestAssets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "etcd"), nil, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Setenv(RequireEnv, "")
	t.Setenv(AssetsEnv, dir)
	r := &recorder{TB: t}
	if got := Assets(r, "etcd"); got != dir || r.skipped != "" || r.failed != "" {
		t.Errorf("present: got %q, skipped %q, failed %q", got, r.skipped, r.failed)
	}

	r = &recorder{TB: t}
	Assets(r, "etcd", "kube-apiserver")
	if !strings.Contains(r.skipped, "needs the reference kube-apiserver") || r.failed != "" {
		t.Errorf("missing binary outside make test must skip with the reason: skipped %q, failed %q", r.skipped, r.failed)
	}

	t.Setenv(AssetsEnv, "")
	r = &recorder{TB: t}
	Assets(r, "etcd")
	if !strings.Contains(r.skipped, AssetsEnv+" is not set") {
		t.Errorf("unset %s must skip with the reason: %q", AssetsEnv, r.skipped)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	Assets(r, "etcd")
	if r.failed == "" || r.skipped != "" {
		t.Errorf("with %s set a missing binary must fail, not skip: skipped %q", RequireEnv, r.skipped)
	}
}
