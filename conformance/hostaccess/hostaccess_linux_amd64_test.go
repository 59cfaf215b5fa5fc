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

package hostaccess_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/conformance"
)

// TestNoHostAccess proves that the simulated containers never reach the
// host: the whole kubelet tier of the suite runs in a child process of this
// test under a seccomp filter whose every process-creating, path-taking
// and connecting system call is sent to this process (the supervisor,
// seccomp_unotify(2)), which reads its arguments from the child's memory,
// refuses it and records it. Only connections to loopback (the API server,
// the simulated kubelet and its streaming server, all in the child) are
// let through. The run passes only if nothing was recorded and every
// scenario passed.
//
// So that the check can fail, the child first does what the simulation
// must never do (reads /etc/hostname, starts /bin/true, connects to a
// non-loopback address) in a probe run, and the supervisor must catch all
// three.
func TestNoHostAccess(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child process")
	}
	t.Run("probe", func(t *testing.T) {
		calls, out, err := superviseChild(t, "probe")
		t.Logf("child output:\n%s", out)
		if err == nil {
			t.Errorf("the probe child succeeded although its host access was refused")
		}
		// Starting /bin/true is refused at its first step: the fork
		// (clone3, or clone/vfork without CLONE_THREAD) or the execve.
		for _, want := range [][]string{{`open "/etc/hostname"`}, {"clone3", "vfork", "clone ", "fork", `execve "/bin/true"`}, {"connect 192.0.2.1:80"}} {
			found := false
			for _, c := range calls {
				for _, w := range want {
					if strings.HasPrefix(c, w) {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("the supervisor did not catch any of %q; it recorded %q", want, calls)
			}
		}
	})
	t.Run("kubelet tier", func(t *testing.T) {
		calls, out, err := superviseChild(t, "tier")
		if err != nil || len(calls) > 0 {
			t.Logf("child output:\n%s", out)
		}
		if err != nil {
			t.Errorf("the kubelet tier failed under the sandbox: %v", err)
		}
		for _, c := range calls {
			t.Errorf("host access during the kubelet tier: %s", c)
		}
		if err == nil {
			t.Logf("kubelet tier under seccomp supervision: %s", summaryLine(out))
		}
	})
}

func summaryLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "Ran ") {
			return strings.TrimSpace(l)
		}
	}
	return "(no summary)"
}

const childEnv = "EPHEMERA_HOSTACCESS_CHILD"

// superviseChild runs TestNoHostAccessChild in a child process in mode,
// services its seccomp notifications, and returns what it caught.
func superviseChild(t *testing.T, mode string) ([]string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNoHostAccessChild$", "-test.v",
		"-ginkgo.label-filter=kubelet", "-ginkgo.no-color")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var sup *supervisor
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if fd, ok := strings.CutPrefix(line, "SECCOMP-LISTENER "); ok {
			n, _ := strconv.Atoi(fd)
			sup, err = newSupervisor(cmd.Process.Pid, n)
			if err != nil {
				cmd.Process.Kill()
				t.Fatalf("taking the child's seccomp listener: %v", err)
			}
			go sup.serve()
		}
	}
	err = cmd.Wait()
	if sup == nil {
		t.Fatalf("the child never installed its seccomp filter:\n%s", out.String())
	}
	return sup.recorded(), out.String(), err
}

// TestNoHostAccessChild is the child of TestNoHostAccess: it starts
// Ephemera in cluster mode, installs the filter, then runs the probe or the
// kubelet tier. It does nothing when run on its own.
func TestNoHostAccessChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper process of TestNoHostAccess")
	}
	env := &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	// Things the Go runtime and libraries load once, lazily, from the host
	// (the local time zone): done before the filter.
	_ = time.Now().Local().String()
	fd, err := installFilter()
	if err != nil {
		t.Fatalf("installing the seccomp filter: %v", err)
	}
	fmt.Printf("SECCOMP-LISTENER %d\n", fd)
	// Wait for the supervisor: the next filtered call blocks until it
	// answers, so it must be listening first.
	time.Sleep(200 * time.Millisecond)
	if mode == "probe" {
		_, err1 := os.ReadFile("/etc/hostname")
		cmd := exec.Command("/bin/true")
		// Pipes, so that starting it opens no /dev/null first.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), io.Discard, io.Discard
		err2 := cmd.Run()
		c, err3 := (&netDialer{}).dial("192.0.2.1:80")
		if c != nil {
			c.Close()
		}
		t.Fatalf("probe: open: %v; exec: %v; connect: %v", err1, err2, err3)
	}
	ok := conformance.Run(t, &conformance.Options{Targets: []conformance.Target{startedTarget{cfg}}})
	if !ok {
		t.Fail()
	}
}

// startedTarget is Ephemera in cluster mode, started before the filter.
type startedTarget struct{ cfg *rest.Config }

func (s startedTarget) Name() string { return "ephemera-kubelet" }
func (s startedTarget) Start(context.Context) (*rest.Config, error) {
	return rest.CopyConfig(s.cfg), nil
}
func (s startedTarget) Stop() error { return nil }
func (s startedTarget) Capabilities() conformance.Capabilities {
	return conformance.Capabilities{Kubelet: true}
}
