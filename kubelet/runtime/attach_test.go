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

package runtime

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// An attach whose client closes stdin is detached, unless that stdin is
// the container's one stdin without a terminal (stdinOnce), which closes
// instead and the attach lasts until PID 1 exits: containerd's rule
// (internal/cri/io/container_io.go, Attach).
func TestAttachStdinEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stdinOnce bool
		running   bool // whether PID 1 still runs when the attach returns
	}{
		{"stdin", false, true},
		{"stdinOnce", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{})
			defer r.Shutdown()
			sb := r.RunPodSandbox(SandboxConfig{UID: "u", Namespace: "default", Name: "web", Hostname: "web"})
			c, err := sb.CreateContainer(ContainerConfig{ID: "c", Name: "app", Image: "busybox:1.36", Args: []string{"sh"},
				Env: []string{"PATH=/bin"}, Stdin: true, StdinOnce: tc.stdinOnce})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			if err := r.Attach(ctx, "c", strings.NewReader(""), nopCloser{&out}, nil, false, nil); err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatal("the attach lasted until its context ended")
			}
			_, notRunning := r.running("c")
			if running := notRunning == nil; running != tc.running {
				t.Errorf("PID 1 running after the attach returned: %v, want %v", running, tc.running)
			}
		})
	}
}
