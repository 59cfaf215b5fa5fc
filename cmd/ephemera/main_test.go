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

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{args: []string{"--version"}, stdout: "ephemera dev (kube-apiserver v1.37.2 behaviour)\n"},
		{args: []string{"version"}, stdout: "ephemera dev (kube-apiserver v1.37.2 behaviour)\n"},
		{args: []string{}, code: 2, stderr: "a command is required"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate" for "ephemera"`},
		{args: []string{"serve", "--no-such-flag"}, code: 2, stderr: "unknown flag: --no-such-flag"},
		{args: []string{"serve", "extra"}, code: 2, stderr: `unknown command "extra" for "ephemera serve"`},
		{args: []string{"serve", "--kubelet-rules", "r.json"}, code: 2, stderr: "--kubelet-rules needs --cluster"},
		{args: []string{"conformance"}, code: 2, stderr: `required flag(s) "kubeconfig" not set`},
		{args: []string{"serve", "--help"}, stdout: "--kubeconfig-out string"},
		{args: []string{"completion", "bash"}, stdout: "__start_ephemera"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.stderr)
			}
		})
	}
}

// Go's flag package, which the CLI used before cobra, accepted -port as well
// as --port; scripts written then keep working.
func TestSingleDashLongFlags(t *testing.T) {
	root := newRootCommand(os.Stdout, os.Stderr)
	got := compatArgs(root, []string{"serve", "-port", "0", "-kubeconfig-out=/x", "-v", "2", "--bind-address", "::1", "-h", "--", "-port"})
	want := []string{"serve", "--port", "0", "--kubeconfig-out=/x", "-v", "2", "--bind-address", "::1", "-h", "--", "-port"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("compatArgs = %q, want %q", got, want)
	}
}

// A --kubeconfig-out that is not a kubeconfig Ephemera wrote (the user's own
// kubeconfig given by mistake) is refused and left as it was.
func TestServeRefusesForeignKubeconfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	foreign := "apiVersion: v1\nkind: Config\ncurrent-context: prod\ncontexts:\n- name: prod\n  context: {cluster: prod, user: me}\n"
	if err := os.WriteFile(path, []byte(foreign), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("serve", "--kubeconfig-out", path)
	if code != 2 || !strings.Contains(stderr, "exists and is not a kubeconfig Ephemera wrote") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if data, _ := os.ReadFile(path); string(data) != foreign {
		t.Errorf("the file was changed: %q", data)
	}
}

var klogLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^ ]+:\d+\] `)

// TestServeQuietAndKubeconfigLifecycle runs the built binary: without -v it
// prints only its own lines (no klog lines from k8s.io/apiserver), the
// kubeconfig left by an earlier run is gone before the new server is ready,
// and the kubeconfig is removed on a clean stop. With -v 0 the klog lines
// kube-apiserver prints by default are back.
func TestServeQuietAndKubeconfigLifecycle(t *testing.T) {
	bin := buildEphemera(t)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")

	// A kubeconfig an earlier (killed) server left behind.
	first := serveUntilReady(t, bin, kubeconfig)
	stale, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Process.Kill()
	<-first.exited
	if _, err := os.Stat(kubeconfig); err != nil {
		t.Fatalf("a killed server leaves its kubeconfig: %v", err)
	}

	second := serveUntilReady(t, bin, kubeconfig)
	current, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if string(current) == string(stale) {
		t.Fatal("the kubeconfig is still the earlier server's")
	}
	second.stop(t)
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("kubeconfig after a clean stop: %v, want it removed", err)
	}
	stderr := second.stderr()
	if klogLine.MatchString(stderr) {
		t.Errorf("klog lines without -v:\n%s", stderr)
	}
	if !strings.Contains(stderr, "Starting Ephemera") || !strings.Contains(stderr, "Ephemera stopped.") {
		t.Errorf("stderr lacks the command's own lines:\n%s", stderr)
	}

	verbose := serveUntilReady(t, bin, kubeconfig, "-v", "0")
	verbose.stop(t)
	if !strings.Contains(verbose.stderr(), "Serving securely on") || !klogLine.MatchString(verbose.stderr()) {
		t.Errorf("-v 0 shows no klog lines:\n%s", verbose.stderr())
	}
}

type serveProcess struct {
	cmd     *exec.Cmd
	exited  chan error
	errFile string
}

func (p *serveProcess) stderr() string {
	b, _ := os.ReadFile(p.errFile)
	return string(b)
}

func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("ephemera serve did not exit cleanly on SIGINT: %v\n%s", err, p.stderr())
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Error("ephemera serve did not stop within 20s of SIGINT")
	}
}

func serveUntilReady(t *testing.T, bin, kubeconfig string, extra ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--kubeconfig-out", kubeconfig}, extra...)...)
	errFile := filepath.Join(t.TempDir(), "stderr")
	f, err := os.Create(errFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, exited: make(chan error, 1), errFile: errFile}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.After(30 * time.Second)
	for {
		// Ready means: this server's kubeconfig, not one left behind.
		if data, err := os.ReadFile(kubeconfig); err == nil && p.ready(data) {
			return p
		}
		select {
		case err := <-p.exited:
			t.Fatalf("ephemera serve exited: %v\n%s", err, p.stderr())
		case <-deadline:
			t.Fatal("ephemera serve wrote no kubeconfig within 30s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var servingAt = regexp.MustCompile(`Ephemera is serving at (https://\S+)`)

// ready reports whether the kubeconfig is the one this process announced.
func (p *serveProcess) ready(kubeconfig []byte) bool {
	m := servingAt.FindStringSubmatch(p.stderr())
	return m != nil && strings.Contains(string(kubeconfig), "server: "+m[1])
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildEphemera builds the ephemera binary once per test process.
func buildEphemera(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ephemera-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "ephemera")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// ephemera serve --faults FILE applies the file's rules and reloads it when
// it changes.
func TestServeFaultsFile(t *testing.T) {
	bin := buildEphemera(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "faults.yaml")
	if err := os.WriteFile(rules, []byte("rules:\n- name: down\n  match: {verbs: [list], resources: [namespaces]}\n  serviceUnavailable: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	p := serveUntilReady(t, bin, kubeconfig, "--faults", rules)
	defer p.stop(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	list := func() error {
		_, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
		return err
	}
	if err := list(); !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), "apiserver is shutting down") {
		t.Fatalf("list under the fault: %v", err)
	}
	if err := os.WriteFile(rules, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for list() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the emptied faults file was not reloaded:\n%s", p.stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(p.stderr(), "Fault rules reloaded from") {
		t.Errorf("no reload line:\n%s", p.stderr())
	}
}
