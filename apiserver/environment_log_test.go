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

package apiserver_test

import (
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// captureStderr runs fn with os.Stderr redirected and returns what was
// written to it.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		out <- string(b)
	}()
	func() {
		defer func() { os.Stderr = saved }()
		fn()
		klog.Flush()
	}()
	w.Close()
	return <-out
}

// An Environment is quiet: k8s.io/apiserver's klog lines ("Serving securely
// on ...") do not reach standard error; the test's own klog lines still do.
func TestEnvironmentQuiet(t *testing.T) {
	stderr := captureStderr(t, func() {
		env := &apiserver.Environment{}
		if _, err := env.Start(); err != nil {
			t.Error(err)
			return
		}
		klog.Info("a line of the test itself")
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	if strings.Contains(stderr, "Serving securely") || strings.Contains(stderr, "DynamicServingCertificateController") {
		t.Errorf("server lines on standard error:\n%s", stderr)
	}
	if !strings.Contains(stderr, "a line of the test itself") {
		t.Errorf("the test's own klog line is missing from standard error:\n%s", stderr)
	}
}

// Environment.Logger receives the server's lines.
func TestEnvironmentLogger(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	logger := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, args)
	}, funcr.Options{})
	env := &apiserver.Environment{Logger: logger}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	if err := env.Stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(lines, "\n")
	for _, want := range []string{"Serving securely on 127.0.0.1:", "Starting DynamicServingCertificateController", "Stopped listening on"} {
		if !strings.Contains(all, want) {
			t.Errorf("the logger did not get %q; it got:\n%s", want, all)
		}
	}
}
