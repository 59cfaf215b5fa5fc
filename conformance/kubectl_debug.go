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
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The kubectl debug session: what a person debugging a pod types, with kubectl
// v1.37.2, run against a cluster and normalized so that two correct
// clusters (kind, Ephemera in cluster mode) give the same transcript.
// testdata/kubectl-session.golden holds kind's; the kind e2e rewrites it
// with KUBECTL_SESSION_UPDATE=1 and Ephemera's test compares with it.

// SessionStep is one kubectl invocation and what it printed.
type SessionStep struct {
	Args   []string
	Env    []string
	Stdin  string   // sent at once, then closed
	Typed  []string // typed on a terminal, each after the previous prompt
	Stdout string
	Stderr string
	Code   int
}

// sessionSteps is the session, in order.
func sessionSteps() []SessionStep {
	img := testImage()
	return []SessionStep{
		{Args: []string{"run", "session", "--image=" + img, "--restart=Never", "--", "sleep", "3600"}},
		{Args: []string{"wait", "--for=condition=Ready", "pod/session", "--timeout=90s"}},
		{Args: []string{"exec", "session", "--", "/bin/echo", "marco"}},
		{Args: []string{"exec", "session", "--", "sh", "-c", "hostname; id; cat /etc/hosts; ps"}},
		{Args: []string{"exec", "session", "--", "nope"}},
		{Args: []string{"exec", "-i", "session", "--", "sh"}, Stdin: "echo one\nnope\nexit 4\n"},
		{Args: []string{"exec", "-it", "session", "--", "sh"}, Typed: []string{"ps", "echo $HOSTNAME", "exit 3"}},
		{Args: []string{"exec", "session", "--", "sh", "-c", "echo spdy; exit 5"}, Env: []string{"KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false"}},
		{Args: []string{"debug", "-it", "session", "--image=" + img, "--target=session", "-c", "dbg", "--", "sh"},
			Typed: []string{"ps", "echo $HOSTNAME", "exit 3"}},
		{Args: []string{"logs", "session", "-c", "dbg"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--tail=2"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--limit-bytes=20"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--timestamps", "--tail=1"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--since=1h"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--since-time=2020-01-01T00:00:00Z", "--tail=1"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--follow"}},
		{Args: []string{"logs", "session", "-c", "dbg", "--previous"}},
		{Args: []string{"exec", "session", "-c", "dbg", "--", "echo", "hi"}},
		{Args: []string{"attach", "session", "-c", "dbg"}},
		{Args: []string{"delete", "pod", "session", "--wait=false"}},
	}
}

// RunDebugSession runs the session with kubectl against kubeconfig (in
// namespace default) and returns its normalized transcript.
func RunDebugSession(ctx context.Context, kubectl, kubeconfig string) (string, error) {
	var b strings.Builder
	for _, st := range sessionSteps() {
		if err := runStep(ctx, kubectl, kubeconfig, &st); err != nil {
			return b.String(), fmt.Errorf("kubectl %s: %w", strings.Join(st.Args, " "), err)
		}
		fmt.Fprintf(&b, "$ %skubectl %s\n", envPrefix(st.Env), strings.Join(st.Args, " "))
		if st.Stdin != "" {
			fmt.Fprintf(&b, "stdin: %q\n", st.Stdin)
		}
		if len(st.Typed) > 0 {
			fmt.Fprintf(&b, "typed: %q\n", st.Typed)
		}
		fmt.Fprintf(&b, "stdout: %q\nstderr: %q\nexit: %d\n\n", normSession(st.Stdout), normSession(st.Stderr), st.Code)
	}
	return b.String(), nil
}

func envPrefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(env, " ") + " "
}

func runStep(ctx context.Context, kubectl, kubeconfig string, st *SessionStep) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig, "-n", "default"}, st.Args...)...)
	cmd.Env = append(append(os.Environ(), "KUBECACHEDIR="+os.TempDir()+"/ephemera-kubectl-cache"), st.Env...)
	if len(st.Typed) > 0 {
		return runTyped(ctx, cmd, st)
	}
	var out, errOut bytes.Buffer
	cmd.Stdin = strings.NewReader(st.Stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	st.Stdout, st.Stderr = out.String(), errOut.String()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		st.Code = ee.ExitCode()
		return nil
	}
	return err
}

// runTyped runs kubectl on a terminal and types each line once the shell's
// prompt shows, as a person would; what the terminal shows is Stdout.
func runTyped(ctx context.Context, cmd *exec.Cmd, st *SessionStep) error {
	master, slave, err := openPTY()
	if err != nil {
		return err
	}
	defer master.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = ttyAttr()
	if err := cmd.Start(); err != nil {
		slave.Close()
		return err
	}
	slave.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	prompts := 0
	for _, line := range st.Typed {
		prompts++
		deadline := time.Now().Add(time.Minute)
		for {
			mu.Lock()
			n := strings.Count(screen.String(), "/ # ")
			mu.Unlock()
			if n >= prompts {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				cmd.Process.Kill()
				cmd.Wait()
				return fmt.Errorf("no prompt %d; the terminal shows %q", prompts, screen.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Let the shell finish drawing its prompt before typing.
		time.Sleep(300 * time.Millisecond)
		io.WriteString(master, line+"\r")
	}
	err = cmd.Wait()
	select {
	case <-readDone:
	case <-time.After(2 * time.Second):
	}
	mu.Lock()
	st.Stdout = screen.String()
	mu.Unlock()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		st.Code = ee.ExitCode()
		return nil
	}
	return err
}

// Normalization of a transcript: what two correct clusters print
// differently (pod IPs, container and exec IDs, times, PIDs other than 1,
// the terminal's cursor-position answers).
var (
	sessionDate = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	ansiReply   = regexp.MustCompile(`\x1b\[\d+;\d+R`)
	// ash redraws its prompt ("\r", the prompt, erase to the end of the
	// screen) each time the terminal's size reaches it (busybox
	// libbb/lineedit.c, win_changed and redraw): how many times depends on
	// when kubectl sends sizes, on kind as anywhere (0, 1 and 2 redraws
	// seen after the same prompt in three kind runs), so none is kept.
	promptRedraw = regexp.MustCompile(`\r[^\r\n\x1b]*\x1b\[J`)
)

func normSession(s string) string {
	s = normOut(s)
	s = sessionDate.ReplaceAllString(s, "<time>")
	s = ansiReply.ReplaceAllString(s, "")
	s = promptRedraw.ReplaceAllString(s, "")
	return normPS(strings.ReplaceAll(s, "\r\n", "\n"))
}
