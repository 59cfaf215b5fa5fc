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
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ephemera-dev/ephemera/internal/referencetest"
	"github.com/go-logr/logr"
	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestKubectlAgainstRealServer runs the same kubectl v1.37.2 session against
// `ephemera serve` and against envtest's real kube-apiserver v1.37.2, and
// requires the same output, exit codes included, once volatile values (UIDs,
// resourceVersions, timestamps, ages, random debugger names) are normalized.
// The session is testdata/kubectl-session.txt.
func TestKubectlAgainstRealServer(t *testing.T) {
	assets := referencetest.Assets(t, "kubectl", "kube-apiserver", "etcd")
	kubectl := filepath.Join(assets, "kubectl")
	ctrllog.SetLogger(logr.Discard())
	session := readSession(t, "testdata/kubectl-session.txt")

	ephemeraKubeconfig := startEphemeraServe(t)
	envtestKubeconfig := startEnvtest(t, assets)

	compareSessions(t, kubectl, ephemeraKubeconfig, envtestKubeconfig, session)
}

// compareSessions runs the session with kubectl against both servers and
// requires the same normalized output.
func compareSessions(t *testing.T, kubectl, ephemeraKubeconfig, envtestKubeconfig string, session [][]string) {
	t.Helper()
	got := runSession(t, kubectl, ephemeraKubeconfig, session)
	want := runSession(t, kubectl, envtestKubeconfig, session)
	if got != want {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(want), B: difflib.SplitLines(got),
			FromFile: "envtest (kube-apiserver v1.37.2)", ToFile: "ephemera", Context: 3,
		})
		t.Fatalf("kubectl output differs:\n%s", diff)
	}
	t.Logf("%d kubectl commands gave the same output on both servers", len(session))
}

// readSession reads one kubectl argument list per line; blank lines and #
// comments are skipped. Arguments are split on spaces, as a shell would,
// except inside single quotes.
func readSession(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds [][]string
	sc := bufio.NewScanner(f)
	argRE := regexp.MustCompile(`(?:[^\s']|'[^']*')+`)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var args []string
		for _, a := range argRE.FindAllString(line, -1) {
			args = append(args, strings.ReplaceAll(a, "'", ""))
		}
		cmds = append(cmds, args)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

func runSession(t *testing.T, kubectl, kubeconfig string, session [][]string) string {
	t.Helper()
	var out strings.Builder
	for _, args := range session {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Dir = "testdata"
		cmd.Env = append(os.Environ(), "KUBECACHEDIR="+t.TempDir(), "HOME="+t.TempDir())
		b, err := cmd.CombinedOutput()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("kubectl %v: %v", args, err)
		}
		fmt.Fprintf(&out, "$ kubectl %s\n%s[exit %d]\n", strings.Join(args, " "), normalize(string(b)), code)
	}
	return out.String()
}

var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uid>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "<time>"},
	{regexp.MustCompile(`(resourceVersion: |"resourceVersion":\s*)"?\d+"?`), "${1}<rv>"},
	{regexp.MustCompile(`debugger-[a-z0-9]{5}`), "debugger-<rand>"},
	// A client certificate's fingerprint (the credential id of auth whoami).
	{regexp.MustCompile(`X509SHA256=[0-9a-f]{64}`), "X509SHA256=<fingerprint>"},
	{regexp.MustCompile(`https://127\.0\.0\.1:\d+`), "https://<server>"},
	// Build stamps of the reference binaries differ from any release's.
	{regexp.MustCompile(`(gitCommit|buildDate): .*`), "${1}: <stamp>"},
	// AGE columns and "x ago" durations.
	{regexp.MustCompile(`\b\d+(\.\d+)?(ms|s|m|h|d)\b`), "<age>"},
	{regexp.MustCompile(`<unknown>|<invalid>`), "<age>"},
	// Start Time in describe.
	{regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}`), "<date>"},
}

// normalize replaces values that differ between any two servers, then
// re-aligns whitespace so column widths that depended on them do not count.
func normalize(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// startEphemeraServe builds the ephemera binary, runs `ephemera serve` (with
// extraArgs) and returns the kubeconfig it wrote once ready.
func startEphemeraServe(t *testing.T, extraArgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	bin := buildEphemera(t)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cmd := exec.Command(bin, append([]string{"serve", "--kubeconfig-out", kubeconfig}, extraArgs...)...)
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("ephemera serve did not exit cleanly on SIGINT: %v", err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("ephemera serve did not stop within 20s of SIGINT")
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		if _, err := os.Stat(kubeconfig); err == nil {
			return kubeconfig
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("ephemera serve exited: %v\n%s", err, log)
		case <-deadline:
			t.Fatal("ephemera serve wrote no kubeconfig within 30s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startEnvtest starts a real kube-apiserver and etcd and returns an admin
// kubeconfig for them.
func startEnvtest(t *testing.T, assets string) string {
	t.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
