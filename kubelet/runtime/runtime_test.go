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
	"strings"
	"testing"
	"time"

	utilexec "k8s.io/utils/exec"
)

var testEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web", "HOME=/root"}

func startContainer(t *testing.T, sb *Sandbox, cfg ContainerConfig) *Container {
	t.Helper()
	if cfg.Env == nil {
		cfg.Env = testEnv
	}
	c, err := sb.CreateContainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// run execs cmd in container id and returns stdout, stderr and the code.
func run(t *testing.T, r *Runtime, id string, cmd ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := r.Exec(context.Background(), id, cmd, nil, nopCloser{&out}, nopCloser{&errOut}, false, nil)
	var exit utilexec.CodeExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.Code
	case err != nil:
		t.Fatalf("exec %q: %v", cmd, err)
	}
	return out.String(), errOut.String(), 0
}

func waitDone(t *testing.T, c *Container) int {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("container %s did not exit", c.Name())
	}
	code, _ := c.Exit()
	return code
}

func TestProcessNamespaces(t *testing.T) {
	r := New(Options{})
	defer r.Shutdown()
	sb := r.RunPodSandbox(SandboxConfig{UID: "u", Name: "web", Hostname: "web"})
	startContainer(t, sb, ContainerConfig{ID: "app", Name: "app", Args: []string{"sleep", "3600"}})
	startContainer(t, sb, ContainerConfig{ID: "other", Name: "other", Args: []string{"sleep", "3599"}})
	startContainer(t, sb, ContainerConfig{ID: "dbg", Name: "dbg", Args: []string{"sleep", "3598"}, TargetContainerName: "app"})

	// Without a target a container sees only its own processes.
	if out, _, _ := run(t, r, "other", "ps", "-o", "pid,args"); out != "PID   COMMAND\n    1 sleep 3599\n    2 ps -o pid,args\n" {
		t.Errorf("ps in other:\n%s", out)
	}
	// The debugging container joined the target's namespace: both see both.
	out, _, _ := run(t, r, "app", "ps", "-o", "pid,args")
	if !strings.HasPrefix(out, "PID   COMMAND\n    1 sleep 3600\n    2 sleep 3598\n") {
		t.Errorf("ps in app:\n%s", out)
	}
	// /proc/1/root is the target's filesystem.
	if out, _, _ := run(t, r, "dbg", "cat", "/proc/1/cmdline"); out != "sleep\x003600\x00" {
		t.Errorf("/proc/1/cmdline from dbg = %q", out)
	}
	// kill 1 from inside the namespace: ignored by an init without handlers.
	if _, errOut, code := run(t, r, "dbg", "sh", "-c", "kill 1; kill -9 1; kill 99"); code != 1 || errOut != "sh: can't kill pid 99: No such process\n" {
		t.Errorf("kill: code %d, stderr %q", code, errOut)
	}
	if c, _ := r.Container("app"); !c.Running() {
		t.Fatal("app stopped after kill 1 from its namespace")
	}

	// shareProcessNamespace: the pause process is PID 1, owned by 65535.
	shared := r.RunPodSandbox(SandboxConfig{UID: "s", Name: "shared", Hostname: "shared", ShareProcessNamespace: true})
	startContainer(t, shared, ContainerConfig{ID: "a", Name: "a", Args: []string{"sleep", "3600"}})
	if out, _, _ := run(t, r, "a", "ps"); out != "PID   USER     COMMAND\n    1 65535    /pause\n    2 root     sleep 3600\n    3 root     ps\n" {
		t.Errorf("ps in a shared namespace:\n%s", out)
	}
}

func TestStopAndExit(t *testing.T) {
	r := New(Options{})
	defer r.Shutdown()
	sb := r.RunPodSandbox(SandboxConfig{UID: "u", Name: "web", Hostname: "web"})
	// An init without a SIGTERM handler ignores it: killed after the grace.
	app := startContainer(t, sb, ContainerConfig{ID: "app", Name: "app", Args: []string{"sleep", "3600"}})
	dbg := startContainer(t, sb, ContainerConfig{ID: "dbg", Name: "dbg", Args: []string{"sleep", "3599"}, TargetContainerName: "app"})
	start := time.Now()
	app.Stop(200 * time.Millisecond)
	if code := waitDone(t, app); code != 137 || time.Since(start) < 200*time.Millisecond {
		t.Errorf("stopped init: code %d after %s, want 137 after the grace period", code, time.Since(start))
	}
	// Its namespace's other processes die with it.
	if code := waitDone(t, dbg); code != 137 {
		t.Errorf("debugger in the stopped target's namespace: code %d, want 137", code)
	}

	// A shell's exit code; output to the log, CR LF as LF.
	sh := startContainer(t, sb, ContainerConfig{ID: "sh", Name: "sh", Args: []string{"sh", "-c", "printf 'a\\r\\nb\\n'; echo err >&2; exit 3"}})
	if code := waitDone(t, sh); code != 3 {
		t.Errorf("sh exit code %d", code)
	}
	var log bytes.Buffer
	sh.ReadLog(context.Background(), LogOptions{}, &log)
	if log.String() != "a\nb\nerr\n" {
		t.Errorf("log %q", log.String())
	}
	tail := int64(1)
	log.Reset()
	sh.ReadLog(context.Background(), LogOptions{TailLines: &tail, Timestamps: true}, &log)
	if !strings.HasSuffix(log.String(), "Z err\n") || len(log.String()) != len("2026-01-02T03:04:05.000000000Z err\n") {
		t.Errorf("tail with timestamps %q", log.String())
	}

	// A command runc cannot execute.
	bad, err := sb.CreateContainer(ContainerConfig{ID: "bad", Name: "bad", Args: []string{"nope"}, Env: testEnv})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Start()
	want := `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "nope": executable file not found in $PATH`
	if err == nil || err.Error() != want || bad.StartErr() != want {
		t.Errorf("start error %v", err)
	}
	if code := waitDone(t, bad); code != 128 {
		t.Errorf("start error exit code %d", code)
	}
}

func TestExecErrors(t *testing.T) {
	r := New(Options{})
	defer r.Shutdown()
	sb := r.RunPodSandbox(SandboxConfig{UID: "u", Name: "web", Hostname: "web"})
	startContainer(t, sb, ContainerConfig{ID: "app", Name: "app", Args: []string{"sleep", "3600"}})
	err := r.Exec(context.Background(), "app", []string{"sh", "-c", "exit 3"}, nil, nopCloser{&bytes.Buffer{}}, nopCloser{&bytes.Buffer{}}, false, nil)
	var exit utilexec.CodeExitError
	if !errors.As(err, &exit) || exit.Code != 3 || err.Error() != "error executing command [sh -c exit 3], exit code 3" {
		t.Errorf("exit 3: %v", err)
	}
	err = r.Exec(context.Background(), "app", []string{"nope"}, nil, nopCloser{&bytes.Buffer{}}, nopCloser{&bytes.Buffer{}}, false, nil)
	if err == nil || !strings.HasSuffix(err.Error(), `OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH`) {
		t.Errorf("unknown command: %v", err)
	}
	if _, _, code := run(t, r, "app", "/bin/sed"); code != 127 {
		t.Errorf("an applet Ephemera lacks: code %d", code)
	}
}
