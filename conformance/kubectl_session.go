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

package conformance

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// A kubectl session: one kubectl argument list per line of a file (blank
// lines and # comments skipped, arguments split on spaces except inside
// single quotes), run in order against a cluster, its output normalized so
// that two clusters' sessions can be compared (kind and Ephemera's cluster
// mode: kindtests and cmd/ephemera compare them).

// ReadKubectlSession reads a session file.
func ReadKubectlSession(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
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
	return cmds, sc.Err()
}

// RunKubectlSession runs the session with kubectl against kubeconfig, each
// command in dir with at most timeout, and returns the transcript: each
// command, its normalized output and its exit code. nodes are the cluster's
// node names, normalized to <node>.
func RunKubectlSession(kubectl, kubeconfig, dir string, session [][]string, nodes []string, timeout time.Duration) (string, error) {
	var out strings.Builder
	home, err := os.MkdirTemp("", "kubectl-session")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(home)
	for _, args := range session {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "KUBECACHEDIR="+home+"/cache", "HOME="+home)
		b, err := cmd.CombinedOutput()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			return "", fmt.Errorf("kubectl %v: %w", args, err)
		}
		fmt.Fprintf(&out, "$ kubectl %s\n%s[exit %d]\n", strings.Join(args, " "), NormalizeKubectlOutput(string(b), nodes), code)
	}
	return out.String(), nil
}

var kubectlVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uid>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "<time>"},
	{regexp.MustCompile(`(resourceVersion: |"resourceVersion":\s*)"?\d+"?`), "${1}<rv>"},
	{regexp.MustCompile(`https://127\.0\.0\.1:\d+`), "https://<server>"},
	{regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`), "<token>"},
	{regexp.MustCompile(`kube-api-access-[a-z0-9]{5}`), "kube-api-access-<id>"},
	{regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`), "<ip>"},
	// AGE columns and "x ago" durations.
	// kubectl's ages (duration.HumanDuration): 45s, 5m14s, 3h5m, 2d3h, 3y45d.
	{regexp.MustCompile(`\b(\d+(\.\d+)?(ms|s|m|h|d|y))+\b`), "<age>"},
	{regexp.MustCompile(`<unknown>|<invalid>`), "<age>"},
}

// NormalizeKubectlOutput replaces values that differ between any two
// clusters, then re-aligns whitespace so column widths that depended on
// them do not count.
func NormalizeKubectlOutput(s string, nodes []string) string {
	for _, n := range nodes {
		s = strings.ReplaceAll(s, n, "<node>")
	}
	for _, v := range kubectlVolatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
