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

package kindtests

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// checkKubectlDebug runs kubectl debug v1.37.2 against the kind cluster the
// way users do: without attaching (`--attach=false`), and attached to the
// debug container's stdin (`-i`), which waits for the container to run and
// streams its output back through the kubelet. $KUBECTL is the reference
// kubectl (hack/kind/e2e.sh sets it).
func checkKubectlDebug(t *testing.T, kubeconfig, image string) {
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		t.Fatal("KUBECTL is not set: run through hack/kind/e2e.sh (make kind-e2e)")
	}
	run := func(stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig, "-n", "default"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	run("", "run", "debug-target", "--image="+image, "--restart=Never", "--", "sleep", "3600")
	run("", "wait", "--for=condition=Ready", "pod/debug-target", "--timeout=90s")

	out := run("", "debug", "debug-target", "--image="+image, "-c", "dbg-detached", "--attach=false", "--", "sleep", "3600")
	if strings.Contains(out, "Error") {
		t.Fatalf("kubectl debug --attach=false: %s", out)
	}
	run("", "wait", "--for=jsonpath={.status.ephemeralContainerStatuses[0].state.running}", "pod/debug-target", "--timeout=90s")

	// -i: kubectl waits for the container to run, attaches to its stdin and
	// sends the script. kubectl may return as soon as stdin ends, before the
	// echo's output has come back over the attach stream, so the proof that
	// the shell ran the script is the container's log ("All commands and
	// output from this session will be recorded in container logs").
	out = run("echo hello-from-debug\nexit\n", "debug", "debug-target", "-i", "--image="+image, "-c", "dbg-attached", "--target=debug-target", "--", "sh")
	if !strings.Contains(out, "If you don't see a command prompt") {
		t.Fatalf("kubectl debug -i did not attach:\n%s", out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := run("", "logs", "debug-target", "-c", "dbg-attached")
		if strings.Contains(logs, "hello-from-debug") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attached debug shell did not run the script; kubectl printed:\n%s\nlogs:\n%s", out, logs)
		}
		time.Sleep(time.Second)
	}
	t.Logf("kubectl debug --attach=false and -i both work; -i printed:\n%s", out)
}
