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

package imageref

import (
	"strings"
	"testing"
)

// The expectations below were confirmed against kube-apiserver v1.37.2
// (strategy/pod/envtest_compare_test.go creates a pod with one container per
// image and compares the defaulted imagePullPolicy).
func TestDefaultsToAlways(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		image string
		want  bool
	}{
		{"busybox", true},
		{"busybox:latest", true},
		{"busybox:1.36", false},
		{"busybox@sha256:" + hex64, false},
		{"busybox:latest@sha256:" + hex64, true},
		{"busybox:1.36@sha256:" + hex64, false},
		{"BusyBox", false},                                      // uppercase repository: parse error
		{"registry:5000/x", true},                               // host:port is a domain, not a tag
		{"registry:5000/x:5000", false},                         // ...but this is a tag
		{"localhost/foo", true},                                 // localhost domain
		{"ubuntu:LATEST", false},                                // tags are case-sensitive
		{"a/b/c:latest", true},                                  // deep path
		{"busybox@md5:0123456789abcdef0123456789abcdef", false}, // unknown algorithm
		{"busybox:latest@sha256:abc", false},                    // digest too short
		{"busybox:latest@sha256:" + strings.ToUpper(hex64), false},
		{"busybox:latest@sha512:" + hex64 + hex64, true},
		{"Docker.io/library/busybox", true}, // uppercase first element is a domain
		{hex64, false},                      // 64-hex identifiers are refused
		{"index.docker.io/busybox", true},
		{"[::1]:5000/foo:latest", true},
		{"foo__bar/baz-qux.x:v1", false},
		{"foo___bar", false}, // three underscores: invalid separator
		{"", false},
		{" busybox", false},
		{"busybox:", false},
		{"busybox:" + strings.Repeat("a", 128), false},
		{"busybox:" + strings.Repeat("a", 129), false},
		{"x/" + strings.Repeat("a", 254), false}, // path longer than 255
		{"x/" + strings.Repeat("a", 253), true},
	}
	for _, tc := range cases {
		if got := DefaultsToAlways(tc.image); got != tc.want {
			t.Errorf("DefaultsToAlways(%q) = %v, want %v", tc.image, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		"nginx":                   "docker.io/library/nginx:latest",
		"busybox:1.36":            "docker.io/library/busybox:1.36",
		"docker.io/busybox":       "docker.io/library/busybox:latest",
		"user/app":                "docker.io/user/app:latest",
		"ghcr.io/x/y:v1":          "ghcr.io/x/y:v1",
		"localhost:5000/app":      "localhost:5000/app:latest",
		"nginx@" + digest:         "docker.io/library/nginx@" + digest,
		"registry.k8s.io/pause:3": "registry.k8s.io/pause:3",
		"Not A Reference":         "Not A Reference",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPartsAndRepository(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct{ image, domain, path, ref, repo string }{
		{"busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox"},
		{"example.com:443/a/b:v2@" + digest, "example.com:443", "a/b", digest, "example.com:443/a/b"},
		{"ephemera.invalid/x:v0", "ephemera.invalid", "x", "v0", "ephemera.invalid/x"},
	} {
		d, p, r, ok := Parts(tc.image)
		if !ok || d != tc.domain || p != tc.path || r != tc.ref {
			t.Errorf("Parts(%q) = %q %q %q %v", tc.image, d, p, r, ok)
		}
		if got := Repository(tc.image); got != tc.repo {
			t.Errorf("Repository(%q) = %q, want %q", tc.image, got, tc.repo)
		}
	}
	if _, _, _, ok := Parts("a/UPPER"); ok {
		t.Errorf("a/UPPER: an uppercase repository path must not parse")
	}
}

func BenchmarkDefaultsToAlways(b *testing.B) {
	for i := 0; i < b.N; i++ {
		DefaultsToAlways("registry.example.com:5000/team/app:1.2.3")
	}
}
