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

package kubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Exec implements pod.Runtime: a simulated process in a running container,
// over WebSocket (v5/v4 channel protocol). What runs:
//
//   - `sh -c SCRIPT` (sh, bash, ash): the statements of SCRIPT, as runScript
//     plays them, but printing to the exec's stdout/stderr; `sleep` returns
//     at once;
//   - a shell without -c, with stdin: the scripted shell, reading lines until
//     `exit [N]` or the end of stdin;
//   - any other command: one statement (echo, true, false, ps, hostname,
//     sleep; anything else prints `sh: CMD: not found` and exits 127).
//
// The exit status is reported on the error channel as the kubelet does
// (Success, or Failure/NonZeroExitCode with an ExitCode cause). Exec output
// does not go to the container's log, as on a real node.
func (k *Kubelet) Exec(ctx context.Context, p *corev1.Pod, name string, opts *corev1.PodExecOptions) (http.Handler, error) {
	c, s, found := k.container(p, name)
	if err := notRunning(p, name, s, found); err != nil {
		return nil, err
	}
	if s.State.Terminated != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("container %s is not running", name))
	}
	if len(opts.Command) == 0 {
		return nil, apierrors.NewBadRequest("you must specify at least 1 command")
	}
	k.mu.Lock()
	visible := c.visible
	k.mu.Unlock()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !isWebSocket(req) {
			http.Error(w, "Ephemera's simulated kubelet serves exec over WebSocket (v5.channel.k8s.io) only", http.StatusBadRequest)
			return
		}
		ws, err := acceptWebSocket(w, req)
		if err != nil {
			return
		}
		defer ws.conn.Close()
		sh := &execShell{ws: ws, opts: opts, visible: visible, hostname: p.Name}
		code := sh.run()
		status := metav1.Status{Status: metav1.StatusSuccess}
		if code != 0 {
			status = metav1.Status{
				Status:  metav1.StatusFailure,
				Reason:  "NonZeroExitCode",
				Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command %v, exit code %d", opts.Command, code),
				Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(code)}}},
			}
		}
		b, _ := json.Marshal(status)
		_ = ws.writeChannel(channelError, b)
		ws.closeNormally()
	}), nil
}

type execShell struct {
	ws       *wsConn
	opts     *corev1.PodExecOptions
	visible  [][]string
	hostname string
}

func (s *execShell) out(text string) {
	if s.opts.Stdout {
		_ = s.ws.writeChannel(channelStdout, []byte(text))
	}
}

func (s *execShell) errOut(text string) {
	switch {
	case s.opts.TTY:
		s.out(text)
	case s.opts.Stderr:
		_ = s.ws.writeChannel(channelStderr, []byte(text))
	}
}

func isShell(cmd string) bool {
	switch cmd {
	case "sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash":
		return true
	}
	return false
}

// run runs the command and returns its exit status.
func (s *execShell) run() int {
	cmd := s.opts.Command
	switch {
	case isShell(cmd[0]) && len(cmd) >= 3 && cmd[1] == "-c":
		status := 0
		for _, stmt := range strings.Split(strings.NewReplacer("&&", ";", "\n", ";").Replace(cmd[2]), ";") {
			exited, code := s.statement(strings.Fields(stmt), cmd)
			if exited {
				return code
			}
			if len(strings.Fields(stmt)) > 0 {
				status = code
			}
		}
		return status
	case isShell(cmd[0]) && s.opts.Stdin:
		var line []byte
		for {
			msg, err := s.ws.readMessage()
			if err != nil || len(msg) == 0 {
				return 0
			}
			switch msg[0] {
			case channelStdin:
				line = append(line, msg[1:]...)
				for {
					i := strings.IndexByte(string(line), '\n')
					if i < 0 {
						break
					}
					f := strings.Fields(string(line[:i]))
					line = line[i+1:]
					if exited, code := s.statement(f, cmd); exited {
						return code
					}
				}
			case channelClose:
				if len(msg) > 1 && msg[1] == channelStdin {
					return 0
				}
			}
		}
	default:
		_, code := s.statement(cmd, cmd)
		return code
	}
}

// statement runs one simple command; exited reports an `exit`.
func (s *execShell) statement(f []string, self []string) (exited bool, code int) {
	if len(f) > 0 && f[0] == "exec" {
		f = f[1:]
	}
	if len(f) == 0 {
		return false, 0
	}
	switch f[0] {
	case "exit":
		code := 0
		if len(f) > 1 {
			if n, err := strconv.Atoi(f[1]); err == nil {
				code = n & 0xff
			}
		}
		return true, code
	case "echo":
		s.out(strings.Trim(strings.Join(f[1:], " "), `"'`) + "\n")
	case "hostname":
		s.out(s.hostname + "\n")
	case "ps":
		text := "COMMAND\n"
		for _, v := range s.visible {
			text += strings.Join(v, " ") + "\n"
		}
		if strings.Join(self, " ") != strings.Join(f, " ") {
			text += strings.Join(self, " ") + "\n"
		}
		s.out(text + strings.Join(f, " ") + "\n")
	case "true", ":", "sleep":
	case "false":
		return false, 1
	default:
		s.errOut(fmt.Sprintf("sh: %s: not found\n", f[0]))
		return false, 127
	}
	return false, 0
}
