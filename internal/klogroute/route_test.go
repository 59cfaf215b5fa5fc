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

package klogroute_test

import (
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/internal/klogroute"
)

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
	fn()
	os.Stderr = saved
	w.Close()
	return <-out
}

// Lines whose stack runs through the server's packages go to the routed
// loggers; the program's own lines keep going to standard error in klog's
// format.
func TestRoute(t *testing.T) {
	var mu sync.Mutex
	var routed []string
	remove := klogroute.Route(funcr.New(func(_, args string) {
		mu.Lock()
		defer mu.Unlock()
		routed = append(routed, args)
	}, funcr.Options{}))
	// k8s.io/component-base/logs writes a standard library logger's lines
	// through klog: a server package on the stack.
	server := logs.NewLogger("")
	stderr := captureStderr(t, func() {
		server.Print("a server line")
		klog.Info("a line of the program")
		klog.InfoS("a structured line of the program", "key", "value")
		klog.Flush()
	})
	remove()
	dropped := captureStderr(t, func() {
		server.Print("a line nobody wants")
		klog.Flush()
	})

	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(routed, "\n")
	if !strings.Contains(all, "a server line") || strings.Contains(all, "of the program") {
		t.Errorf("routed lines:\n%s", all)
	}
	if strings.Contains(stderr, "a server line") || !strings.Contains(stderr, "] a line of the program") ||
		!strings.Contains(stderr, `] "a structured line of the program" key="value"`) {
		t.Errorf("standard error:\n%s", stderr)
	}
	if strings.Contains(all, "nobody wants") || strings.Contains(dropped, "nobody wants") {
		t.Errorf("a server line with no logger routed went somewhere: %q %q", all, dropped)
	}
}
