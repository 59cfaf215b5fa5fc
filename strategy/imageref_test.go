package strategy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The expectations below were confirmed against kube-apiserver v1.37.2
// (envtest_compare_test.go creates a pod with one container per image and
// compares the defaulted imagePullPolicy).
func TestImagePullPolicyDefault(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		image string
		want  corev1.PullPolicy
	}{
		{"busybox", corev1.PullAlways},
		{"busybox:latest", corev1.PullAlways},
		{"busybox:1.36", corev1.PullIfNotPresent},
		{"busybox@sha256:" + hex64, corev1.PullIfNotPresent},
		{"busybox:latest@sha256:" + hex64, corev1.PullAlways},
		{"busybox:1.36@sha256:" + hex64, corev1.PullIfNotPresent},
		{"BusyBox", corev1.PullIfNotPresent},                                      // uppercase repository: parse error
		{"registry:5000/x", corev1.PullAlways},                                    // host:port is a domain, not a tag
		{"registry:5000/x:5000", corev1.PullIfNotPresent},                         // ...but this is a tag
		{"localhost/foo", corev1.PullAlways},                                      // localhost domain
		{"ubuntu:LATEST", corev1.PullIfNotPresent},                                // tags are case-sensitive
		{"a/b/c:latest", corev1.PullAlways},                                       // deep path
		{"busybox@md5:0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent}, // unknown algorithm
		{"busybox:latest@sha256:abc", corev1.PullIfNotPresent},                    // digest too short
		{"busybox:latest@sha256:" + strings.ToUpper(hex64), corev1.PullIfNotPresent},
		{"busybox:latest@sha512:" + hex64 + hex64, corev1.PullAlways},
		{"Docker.io/library/busybox", corev1.PullAlways}, // uppercase first element is a domain
		{hex64, corev1.PullIfNotPresent},                 // 64-hex identifiers are refused
		{"index.docker.io/busybox", corev1.PullAlways},
		{"[::1]:5000/foo:latest", corev1.PullAlways},
		{"foo__bar/baz-qux.x:v1", corev1.PullIfNotPresent},
		{"foo___bar", corev1.PullIfNotPresent}, // three underscores: invalid separator
		{"", corev1.PullIfNotPresent},
		{" busybox", corev1.PullIfNotPresent},
		{"busybox:", corev1.PullIfNotPresent},
		{"busybox:" + strings.Repeat("a", 128), corev1.PullIfNotPresent},
		{"busybox:" + strings.Repeat("a", 129), corev1.PullIfNotPresent},
		{"x/" + strings.Repeat("a", 254), corev1.PullIfNotPresent}, // path longer than 255
		{"x/" + strings.Repeat("a", 253), corev1.PullAlways},
	}
	for _, tc := range cases {
		c := corev1.Container{Name: "c", Image: tc.image}
		defaultContainer(&c)
		if c.ImagePullPolicy != tc.want {
			t.Errorf("image %q: imagePullPolicy %q, want %q", tc.image, c.ImagePullPolicy, tc.want)
		}
	}
	// An explicit policy is kept.
	c := corev1.Container{Name: "c", Image: "busybox", ImagePullPolicy: corev1.PullNever}
	defaultContainer(&c)
	if c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("explicit policy overwritten: %q", c.ImagePullPolicy)
	}
}

func TestParseImageTagDigest(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	tag, digest, err := parseImageTagDigest("example.com:443/a/b:v2@sha256:" + hex64)
	if err != nil || tag != "v2" || digest != "sha256:"+hex64 {
		t.Errorf("got %q %q %v", tag, digest, err)
	}
	tag, digest, err = parseImageTagDigest("a@sha256:" + hex64)
	if err != nil || tag != "" || digest != "sha256:"+hex64 {
		t.Errorf("digest only: got %q %q %v", tag, digest, err)
	}
	// An uppercase first element is taken as a registry host, so this parses.
	if tag, _, err := parseImageTagDigest("UPPER/x"); err != nil || tag != "latest" {
		t.Errorf("UPPER/x: got %q %v", tag, err)
	}
	if _, _, err := parseImageTagDigest("a/UPPER"); err == nil {
		t.Errorf("a/UPPER: uppercase repository path must fail")
	}
}

func BenchmarkImagePullPolicyDefault(b *testing.B) {
	for i := 0; i < b.N; i++ {
		imageDefaultsToAlways("registry.example.com:5000/team/app:1.2.3")
	}
}
