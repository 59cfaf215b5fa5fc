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

package kubelet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRulesFor(t *testing.T) {
	r := Rules{
		Default:    Outcome{Output: "default"},
		Images:     map[string]Outcome{"busybox": {Output: "by name"}, "busybox:1.36": {Output: "by ref"}, "ghcr.io/x/y": {Output: "registry"}},
		Containers: map[string]Outcome{"dbg": {Output: "by container"}},
	}
	for _, tc := range []struct{ container, image, want string }{
		{"dbg", "busybox:1.36", "by container"},
		{"c", "busybox:1.36", "by ref"},
		{"c", "busybox:1.35", "by name"},
		{"c", "busybox@sha256:" + strings.Repeat("ab", 32), "by name"},
		{"c", "ghcr.io/x/y:v1", "registry"},
		{"c", "nginx", "default"},
	} {
		if got := r.For(tc.container, tc.image).Output; got != tc.want {
			t.Errorf("For(%q, %q) = %q, want %q", tc.container, tc.image, got, tc.want)
		}
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"default":{"pullDelay":"1.5s"},"images":{"nope":{"pullError":"not found"}},"containers":{"dbg":{"exitCode":2,"exitAfter":"3s","startDelay":1000000}}}`), 0o600)
	r, err := LoadRules(good)
	if err != nil {
		t.Fatal(err)
	}
	if r.Default.pullDelay() != 1500*time.Millisecond || r.Images["nope"].PullError != "not found" ||
		r.Containers["dbg"].exitCode() != 2 || time.Duration(r.Containers["dbg"].ExitAfter) != 3*time.Second ||
		time.Duration(r.Containers["dbg"].StartDelay) != time.Millisecond || !r.Containers["dbg"].exits() {
		t.Errorf("loaded %+v", r)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"default":{"pulDelay":"1s"}}`), 0o600)
	if _, err := LoadRules(bad); err == nil || !strings.Contains(err.Error(), `unknown field "pulDelay"`) {
		t.Errorf("unknown field: err = %v", err)
	}
}

// Image rules match the image as written, the same reference fully
// qualified, or a repository named without tag or digest.
func TestRulesImageLookup(t *testing.T) {
	code := func(c int32) Outcome { return Outcome{ExitCode: &c} }
	r := Rules{Images: map[string]Outcome{
		"busybox":                     code(1),
		"docker.io/library/nginx:1.2": code(2),
		"ghcr.io/x/y:v1":              code(3),
	}}
	for image, want := range map[string]int32{
		"busybox":                   1,
		"busybox:1.36":              1,
		"docker.io/library/busybox": 1,
		"nginx:1.2":                 2,
		"docker.io/nginx:1.2":       2,
		"ghcr.io/x/y:v1":            3,
	} {
		o := r.For("c", image)
		if o.ExitCode == nil || *o.ExitCode != want {
			t.Errorf("%s: got %+v, want exit code %d", image, o, want)
		}
	}
	for _, image := range []string{"nginx:1.3", "ghcr.io/x/y:v2", "ghcr.io/x/y"} {
		if o := r.For("c", image); o.ExitCode != nil {
			t.Errorf("%s: matched a rule: %+v", image, o)
		}
	}
}

func TestInvalidRegistryFailsToPull(t *testing.T) {
	got := Rules{}.For("dbg", "ephemera.invalid/does-not-exist:v0").PullError
	want := `failed to pull and unpack image "ephemera.invalid/does-not-exist:v0": failed to resolve reference "ephemera.invalid/does-not-exist:v0": failed to do request: Head "https://ephemera.invalid/v2/does-not-exist/manifests/v0": dial tcp: lookup ephemera.invalid: no such host`
	if got != want {
		t.Errorf("pull error\n got %s\nwant %s", got, want)
	}
	if e := (Rules{}).For("dbg", "busybox").PullError; e != "" {
		t.Errorf("busybox fails to pull: %s", e)
	}
}
