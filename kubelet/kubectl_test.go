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

package kubelet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// referenceKubectl is where hack/reference-binaries.sh puts kubectl v1.37.2.
func referenceKubectl(t *testing.T) string {
	t.Helper()
	candidates := []string{}
	if a := os.Getenv("KUBEBUILDER_ASSETS"); a != "" {
		candidates = append(candidates, filepath.Join(a, "kubectl"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache/ephemera/reference/k8s-v1.37.2-etcd-v3.7.0/kubectl"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	t.Skipf("reference kubectl v1.37.2 not found (looked at %v): run hack/reference-binaries.sh", candidates)
	return ""
}

func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: ephemera
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: ephemera
  context: {cluster: ephemera, user: admin, namespace: default}
current-context: ephemera
`, cfg.Host, base64.StdEncoding.EncodeToString(cfg.CAData), base64.StdEncoding.EncodeToString(cfg.CertData), base64.StdEncoding.EncodeToString(cfg.KeyData))
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type kubectlRunner struct {
	t          *testing.T
	bin        string
	kubeconfig string
	cacheDir   string
}

// run runs kubectl with stdin and a timeout and returns stdout, stderr and
// the error (an *exec.ExitError for a non-zero exit).
func (k kubectlRunner) run(stdin string, timeout time.Duration, args ...string) (string, string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args = append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", k.cacheDir}, args...)
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		k.t.Fatalf("kubectl %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args[4:], " "), timeout, out.String(), errOut.String())
	}
	k.t.Logf("kubectl %s (%s)", strings.Join(args[4:], " "), time.Since(start).Round(time.Millisecond))
	return out.String(), errOut.String(), err
}

func (k kubectlRunner) ok(stdin string, args ...string) string {
	k.t.Helper()
	out, errOut, err := k.run(stdin, 30*time.Second, args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// TestKubectlDebugInteractive is the scenario: against envtest or
// kwok `kubectl debug -it` hangs forever; with the simulated kubelet it
// attaches to the ephemeral container, runs the session and returns.
func TestKubectlDebugInteractive(t *testing.T) {
	bin := referenceKubectl(t)
	env := &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	k := kubectlRunner{t: t, bin: bin, kubeconfig: writeKubeconfig(t, cfg), cacheDir: t.TempDir()}

	k.ok("", "run", "web", "--image=nginx")
	k.ok("", "wait", "--for=condition=Ready", "pod/web", "--timeout=20s")

	start := time.Now()
	out, errOut, err := k.run("echo hello from dbg\nexit\n", 20*time.Second,
		"debug", "web", "-it", "--image=busybox:1.36", "-c", "dbg", "--", "sh")
	if err != nil {
		t.Fatalf("kubectl debug -it: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("kubectl debug -it returned in %s\nstdout:\n%s\nstderr:\n%s", time.Since(start).Round(time.Millisecond), out, errOut)
	if !strings.Contains(out, "hello from dbg\n") {
		t.Errorf("the attached session's output is missing from stdout:\n%s", out)
	}
	if strings.Contains(errOut, "falling back to streaming logs") {
		t.Errorf("kubectl fell back to logs instead of attaching:\n%s", errOut)
	}

	// get: the pod runs.
	get := k.ok("", "get", "pod", "web", "--no-headers")
	if f := strings.Fields(get); len(f) < 3 || f[1] != "1/1" || f[2] != "Running" {
		t.Errorf("kubectl get pod web: want 1/1 Running, got %q", get)
	}
	nodes := k.ok("", "get", "nodes", "--no-headers")
	if f := strings.Fields(nodes); len(f) < 2 || f[0] != "ephemera-node" || f[1] != "Ready" {
		t.Errorf("kubectl get nodes: want ephemera-node Ready, got %q", nodes)
	}

	// describe: the ephemeral container's state and the kubelet's events.
	var desc string
	deadline := time.Now().Add(10 * time.Second)
	for {
		desc = k.ok("", "describe", "pod", "web")
		if strings.Contains(desc, "Completed") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Compared with runs of blanks collapsed: column widths are kubectl's business.
	flat := strings.Join(strings.Fields(desc), " ")
	for _, want := range []string{
		"Node: ephemera-node/172.18.0.2",
		"Status: Running",
		"Ephemeral Containers: dbg: Container ID: containerd://",
		"Image: busybox:1.36 Image ID: docker.io/library/busybox@sha256:",
		"Command: sh State: Terminated Reason: Completed Exit Code: 0 Started:",
		"Ready: False Restart Count: 0",
		"Normal Scheduled AGE default-scheduler Successfully assigned default/web to ephemera-node",
		`Normal Pulling AGE kubelet spec.ephemeralContainers{dbg}: Pulling image "busybox:1.36"`,
		`Normal Pulled AGE kubelet spec.ephemeralContainers{dbg}: Successfully pulled image "busybox:1.36" in 100ms (100ms including waiting). Image size: 2152226 bytes.`,
		"Normal Created AGE kubelet spec.ephemeralContainers{dbg}: Container created",
		"Normal Started AGE kubelet spec.ephemeralContainers{dbg}: Container started",
		"Normal Started AGE kubelet spec.containers{web}: Container started",
	} {
		// AGE is whatever the event's age is when describe runs.
		re := regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(want), " AGE ", ` \S+ `))
		if !re.MatchString(flat) {
			t.Errorf("kubectl describe pod web lacks %q:\n%s", want, desc)
		}
	}

	// exec: a simulated process in the running container.
	if out := k.ok("", "exec", "web", "--", "echo", "hello", "exec"); out != "hello exec\n" {
		t.Errorf("kubectl exec web -- echo hello exec = %q", out)
	}
	out, errOut, err = k.run("", 20*time.Second, "exec", "web", "--", "sh", "-c", "echo hi; exit 3")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || out != "hi\n" || !strings.Contains(errOut, "command terminated with exit code 3") {
		t.Errorf("kubectl exec web -- sh -c 'echo hi; exit 3': err %v, stdout %q, stderr %q", err, out, errOut)
	}
	out, _, err = k.run("echo one\nexit 4\n", 20*time.Second, "exec", "-i", "web", "--", "sh")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 || out != "one\n" {
		t.Errorf("kubectl exec -i web -- sh: err %v, stdout %q", err, out)
	}

	// logs: what the session printed.
	if logs := k.ok("", "logs", "web", "-c", "dbg"); logs != "hello from dbg\n" {
		t.Errorf("kubectl logs web -c dbg = %q, want %q", logs, "hello from dbg\n")
	}
	if t.Failed() {
		t.Logf("describe:\n%s", desc)
	}
}
