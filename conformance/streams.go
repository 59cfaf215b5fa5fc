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
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// Streams: exec and attach through client-go's remotecommand, over
// WebSocket (what kubectl 1.37 uses) or SPDY (older clients, or
// KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).

// streamResult is what a client sees of an exec or attach session.
type streamResult struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// Code is the command's exit code (0 on success); Error is any other
	// failure, as the client reports it.
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
}

type streamOpts struct {
	container string
	command   []string
	stdin     string
	hasStdin  bool
	// holdStdin keeps stdin open after the input until the session ends,
	// as a person at a terminal does (containerd ends an attach whose
	// client closes a terminal's stdin).
	holdStdin bool
	tty       bool
	spdy      bool
}

// stream runs an exec (command set) or an attach session against pod.
func (f *F) stream(pod string, o streamOpts) streamResult {
	GinkgoHelper()
	sub := "attach"
	req := f.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(f.NS).Name(pod)
	if o.command != nil {
		sub = "exec"
		req = req.SubResource(sub).VersionedParams(&corev1.PodExecOptions{Container: o.container, Command: o.command,
			Stdin: o.hasStdin, Stdout: true, Stderr: !o.tty, TTY: o.tty}, scheme.ParameterCodec)
	} else {
		req = req.SubResource(sub).VersionedParams(&corev1.PodAttachOptions{Container: o.container,
			Stdin: o.hasStdin, Stdout: true, Stderr: !o.tty, TTY: o.tty}, scheme.ParameterCodec)
	}
	// As kubectl 1.37 does: WebSocket first, SPDY when the upgrade fails
	// (pkg/cmd/exec DefaultRemoteExecutor); SPDY alone with
	// KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false.
	exec, err := remotecommand.NewSPDYExecutor(f.Config, http.MethodPost, req.URL())
	Expect(err).NotTo(HaveOccurred())
	if !o.spdy {
		ws, err := remotecommand.NewWebSocketExecutor(f.Config, http.MethodGet, req.URL().String())
		Expect(err).NotTo(HaveOccurred())
		exec, err = remotecommand.NewFallbackExecutor(ws, exec, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
		Expect(err).NotTo(HaveOccurred())
	}
	var stdout, stderr bytes.Buffer
	so := remotecommand.StreamOptions{Stdout: &stdout, Tty: o.tty}
	if !o.tty {
		so.Stderr = &stderr
	}
	done := make(chan struct{})
	if o.hasStdin {
		so.Stdin = strings.NewReader(o.stdin)
		if o.holdStdin {
			pr, pw := io.Pipe()
			go func() {
				io.WriteString(pw, o.stdin)
				<-done
				pw.Close()
			}()
			so.Stdin = pr
		}
	}
	err = exec.StreamWithContext(f.Ctx, so)
	close(done)
	res := streamResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit utilexec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Code = exit.ExitStatus()
	default:
		res.Error = err.Error()
	}
	return res
}

// execIn runs a command in a container over WebSocket.
func (f *F) execIn(pod, container string, command ...string) streamResult {
	GinkgoHelper()
	return f.stream(pod, streamOpts{container: container, command: command})
}

// waitRunning waits until a container of the pod (regular or ephemeral)
// runs.
func (f *F) waitRunning(pod, container string) {
	GinkgoHelper()
	f.waitState(pod, container, func(s corev1.ContainerStatus) bool { return s.State.Running != nil })
}

// waitTerminated waits until a container of the pod has terminated.
func (f *F) waitTerminated(pod, container string) corev1.ContainerStatus {
	GinkgoHelper()
	return f.waitState(pod, container, func(s corev1.ContainerStatus) bool { return s.State.Terminated != nil })
}

func (f *F) waitState(pod, container string, ok func(corev1.ContainerStatus) bool) corev1.ContainerStatus {
	GinkgoHelper()
	var found corev1.ContainerStatus
	Eventually(func(g Gomega) {
		p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, pod, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		all := append(append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...), p.Status.EphemeralContainerStatuses...)
		match := false
		for _, s := range all {
			if s.Name == container && ok(s) {
				found, match = s, true
			}
		}
		g.Expect(match).To(BeTrue(), "container %s of pod %s: %+v", container, pod, all)
	}).WithTimeout(2 * time.Minute).WithPolling(250 * time.Millisecond).Should(Succeed())
	return found
}

// createRunning creates a pod (retrying while the namespace's default
// ServiceAccount does not exist yet) and waits until it runs.
func (f *F) createRunning(p *corev1.Pod) {
	GinkgoHelper()
	Eventually(func() error {
		_, err := f.Client.CoreV1().Pods(f.NS).Create(f.Ctx, p, metav1.CreateOptions{})
		return err
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	Eventually(func(g Gomega) {
		out, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, p.Name, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out.Status.Phase).To(Equal(corev1.PodRunning))
	}).WithTimeout(2 * time.Minute).WithPolling(250 * time.Millisecond).Should(Succeed())
}

// Normalization of what differs between two correct nodes: PIDs (runc's
// helpers take PIDs as they start a process, a number no two nodes agree
// on; PID 0 and 1 stay), pod IPs, container and exec IDs, and timestamps.
var (
	podIPRE     = regexp.MustCompile(`\b10\.244\.\d+\.\d+\b`)
	hexIDRE     = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	timestampRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

// normPS replaces the values of ps's PID and PPID columns, except 0 and 1.
func normPS(s string) string {
	lines := strings.Split(s, "\n")
	var cols []int // indexes of the PID and PPID columns
	for i, line := range lines {
		fields := strings.Fields(line)
		if len(fields) > 0 && (fields[0] == "PID" || fields[0] == "PPID") {
			cols = nil
			for j, f := range fields {
				if f == "PID" || f == "PPID" {
					cols = append(cols, j)
				}
			}
			continue
		}
		if cols == nil {
			continue
		}
		locs := tokenRE.FindAllStringIndex(line, -1)
		for k := len(cols) - 1; k >= 0; k-- {
			c := cols[k]
			if c >= len(locs) {
				continue
			}
			tok := line[locs[c][0]:locs[c][1]]
			if tok != "0" && tok != "1" && strings.Trim(tok, "0123456789") == "" {
				// The column is right-aligned: its padding goes too.
				start := locs[c][0]
				for start > 0 && line[start-1] == ' ' {
					start--
				}
				sep := ""
				if start > 0 {
					sep = " "
				}
				line = line[:start] + sep + "<pid>" + line[locs[c][1]:]
			}
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

var tokenRE = regexp.MustCompile(`\S+`)

// normOut replaces pod IPs, IDs and timestamps.
func normOut(s string) string {
	s = podIPRE.ReplaceAllString(s, "<podip>")
	s = hexIDRE.ReplaceAllString(s, "<id>")
	return timestampRE.ReplaceAllString(s, "<time>")
}

// sortedLines sorts the lines of an output whose order is the kubelet's
// map order (a container's environment).
func sortedLines(s string) string {
	if s == "" {
		return s
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// noteStream records a session's outcome after normalizing its output.
func (f *F) noteStream(step string, r streamResult, norm ...func(string) string) {
	for _, n := range append([]func(string) string{normOut}, norm...) {
		r.Stdout, r.Stderr, r.Error = n(r.Stdout), n(r.Stderr), n(r.Error)
	}
	f.Note(step, r)
}
