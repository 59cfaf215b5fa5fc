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
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	utilexec "k8s.io/utils/exec"
)

// goldenSetup is what hack/update-busybox-golden.sh runs before each case.
const goldenSetup = `cd /tmp && printf "a\nb\nc\nroot here\nline two\n" > f && printf "g1\ng2\nb\n" > g && cd /`

type goldenCase struct {
	command, stdout, stderr string
}

// readGolden parses testdata/busybox-golden.txt: "### CASE", what it
// printed on stdout followed by "exit N", "--- stderr", what it printed on
// stderr.
func readGolden(t *testing.T) []goldenCase {
	data, err := os.ReadFile("testdata/busybox-golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenCase
	for _, block := range strings.Split(string(data), "### ")[1:] {
		cmd, rest, _ := strings.Cut(block, "\n")
		stdout, stderr, _ := strings.Cut(rest, "\n--- stderr\n")
		out = append(out, goldenCase{command: cmd, stdout: stdout, stderr: strings.TrimRight(stderr, "\n")})
	}
	return out
}

// TestBusyboxGolden runs every case of testdata/busybox-cases.txt in a
// simulated container (sh -c, as root without supplementary groups, hostname
// "web") and compares stdout, stderr and the exit code with what the real
// busybox printed (testdata/busybox-golden.txt, hack/update-busybox-golden.sh).
func TestBusyboxGolden(t *testing.T) {
	cases := readGolden(t)
	if len(cases) < 100 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	for _, gc := range cases {
		t.Run(gc.command, func(t *testing.T) {
			r := New(Options{})
			sb := r.RunPodSandbox(SandboxConfig{UID: "u", Namespace: "default", Name: "web", Hostname: "web"})
			c, err := sb.CreateContainer(ContainerConfig{ID: "c", Name: "app", Image: "busybox:1.36", Args: []string{"sleep", "3600"},
				Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web", "HOME=/root"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer r.Shutdown()
			var stdout, stderr bytes.Buffer
			err = r.Exec(context.Background(), "c", []string{"sh", "-c", goldenSetup + "; " + gc.command}, nil, nopCloser{&stdout}, nopCloser{&stderr}, false, nil)
			code := 0
			var exit utilexec.CodeExitError
			if errors.As(err, &exit) {
				code = exit.Code
			} else if err != nil {
				t.Fatal(err)
			}
			// ls -l's times are the clock's: the image's and these files'.
			got := lsDate.ReplaceAllString(stdout.String()+"exit "+strconv.Itoa(code), "<date>")
			if want := lsDate.ReplaceAllString(gc.stdout, "<date>"); got != want {
				t.Errorf("stdout and exit code\n got %q\nwant %q", got, want)
			}
			if e := strings.TrimRight(stderr.String(), "\n"); e != gc.stderr {
				t.Errorf("stderr\n got %q\nwant %q", e, gc.stderr)
			}
		})
	}
}

var lsDate = regexp.MustCompile(`[A-Z][a-z]{2} [ 0-9]\d (\d\d:\d\d| \d{4})`)

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }
