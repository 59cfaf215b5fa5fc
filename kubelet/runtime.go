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
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ephemera-dev/ephemera/registry/pod"
)

var _ pod.Runtime = &Kubelet{}

// logBuffer is a container's log: everything it wrote, and whether it has
// stopped writing (terminated).
type logBuffer struct {
	mu     sync.Mutex
	data   []byte
	closed bool
	more   chan struct{} // closed and replaced on every write and on close
}

func newLogBuffer() *logBuffer { return &logBuffer{more: make(chan struct{})} }

func (b *logBuffer) write(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.data = append(b.data, p...)
	close(b.more)
	b.more = make(chan struct{})
}

func (b *logBuffer) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.more)
	}
}

// from returns the bytes after offset, whether the log is closed, and a
// channel closed on the next change.
func (b *logBuffer) from(offset int) ([]byte, bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data[offset:], b.closed, b.more
}

// logReader streams a logBuffer; with follow it waits for more until the
// container terminates or ctx ends.
type logReader struct {
	ctx    context.Context
	buf    *logBuffer
	offset int
	follow bool
	limit  int64 // remaining bytes; <0 unlimited
}

func (r *logReader) Read(p []byte) (int, error) {
	for {
		if r.limit == 0 {
			return 0, io.EOF
		}
		data, closed, more := r.buf.from(r.offset)
		if len(data) > 0 {
			if r.limit > 0 && int64(len(data)) > r.limit {
				data = data[:r.limit]
			}
			n := copy(p, data)
			r.offset += n
			if r.limit > 0 {
				r.limit -= int64(n)
			}
			return n, nil
		}
		if closed || !r.follow {
			return 0, io.EOF
		}
		select {
		case <-more:
		case <-r.ctx.Done():
			return 0, io.EOF
		}
	}
}

func (r *logReader) Close() error { return nil }

// container finds the simulation's record of a pod's container and its
// current status.
func (k *Kubelet) container(p *corev1.Pod, name string) (*ctrState, corev1.ContainerStatus, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, ok := k.pods[p.UID]
	if !ok {
		return nil, corev1.ContainerStatus{}, false
	}
	c, ok := st.ctrs[name]
	if !ok {
		return nil, corev1.ContainerStatus{}, false
	}
	s, _ := c.status(time.Now())
	return c, s, true
}

// notRunning mirrors the kubelet's validateContainerLogStatus errors
// (kubelet_pods.go), which kube-apiserver passes on as 400 BadRequest.
func notRunning(p *corev1.Pod, name string, s corev1.ContainerStatus, found bool) error {
	if !found || s.State.Waiting != nil {
		reason := "ContainerCreating"
		if found {
			reason = s.State.Waiting.Reason
		}
		switch reason {
		case "ErrImagePull":
			return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: image can't be pulled", name, p.Name))
		case "ImagePullBackOff":
			return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: trying and failing to pull image", name, p.Name))
		}
		return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %v", name, p.Name, reason))
	}
	return nil
}

// Logs implements pod.Runtime. The log of a container is the rule's Output
// (written when it starts) followed by whatever an attached session printed.
// Options honoured: follow, limitBytes, tailLines; timestamps prefixes each
// line with the container's start time in RFC3339Nano.
func (k *Kubelet) Logs(ctx context.Context, p *corev1.Pod, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	c, s, found := k.container(p, name)
	if err := notRunning(p, name, s, found); err != nil {
		return nil, err
	}
	if opts.Previous {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", name, p.Name))
	}
	r := &logReader{ctx: ctx, buf: c.log, follow: opts.Follow, limit: -1}
	if opts.LimitBytes != nil {
		r.limit = *opts.LimitBytes
	}
	if opts.TailLines != nil || opts.Timestamps {
		// Not a stream: cut the current content.
		data, _, _ := c.log.from(0)
		lines := strings.SplitAfter(string(data), "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if opts.TailLines != nil && int64(len(lines)) > *opts.TailLines {
			lines = lines[int64(len(lines))-*opts.TailLines:]
		}
		var b strings.Builder
		for _, l := range lines {
			if opts.Timestamps {
				b.WriteString(s.State.Running.StartedAt.UTC().Format(time.RFC3339Nano) + " ")
			}
			b.WriteString(l)
		}
		return io.NopCloser(strings.NewReader(b.String())), nil
	}
	return r, nil
}

// Attach implements pod.Runtime: a WebSocket stream (v5.channel.k8s.io or
// v4) to the container. Output the container writes while attached goes to
// stdout. A container with stdin runs a scripted shell: `echo ARGS` prints
// ARGS, `exit [N]` (or the end of stdin) terminates the container with N,
// anything else prints `sh: CMD: not found` to stderr. SPDY (the fallback
// kubectl tries when the WebSocket upgrade is refused) is not served.
func (k *Kubelet) Attach(ctx context.Context, p *corev1.Pod, name string, opts *corev1.PodAttachOptions) (http.Handler, error) {
	c, s, found := k.container(p, name)
	if err := notRunning(p, name, s, found); err != nil {
		return nil, err
	}
	if s.State.Terminated != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("container %s is not running", name))
	}
	if opts.Stdin && !c.stdin {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("stdin is not enabled for container %s", name))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !isWebSocket(req) {
			http.Error(w, "Ephemera's simulated kubelet serves attach over WebSocket (v5.channel.k8s.io) only", http.StatusBadRequest)
			return
		}
		ws, err := acceptWebSocket(w, req)
		if err != nil {
			return
		}
		k.session(req.Context(), ws, p, c, opts)
	}), nil
}

func (k *Kubelet) session(ctx context.Context, ws *wsConn, p *corev1.Pod, c *ctrState, opts *corev1.PodAttachOptions) {
	defer ws.conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Forward new output to stdout until the container stops.
	data, _, _ := c.log.from(0)
	offset := len(data)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			data, closed, more := c.log.from(offset)
			if len(data) > 0 && opts.Stdout {
				if ws.writeChannel(channelStdout, data) != nil {
					return
				}
			}
			offset += len(data)
			if closed {
				return
			}
			select {
			case <-more:
			case <-ctx.Done():
				return
			}
		}
	}()

	stderr := func(s string) {
		if opts.TTY {
			c.log.write([]byte(s)) // a TTY merges stderr into stdout
		} else if opts.Stderr {
			_ = ws.writeChannel(channelStderr, []byte(s))
		}
	}
	if opts.Stdin {
		go func() {
			var line []byte
			for {
				msg, err := ws.readMessage()
				if err != nil {
					cancel() // client went away; the container keeps running
					return
				}
				if len(msg) == 0 {
					continue
				}
				switch msg[0] {
				case channelStdin:
					line = append(line, msg[1:]...)
					for {
						i := strings.IndexByte(string(line), '\n')
						if i < 0 {
							break
						}
						cmd := strings.TrimSpace(string(line[:i]))
						line = line[i+1:]
						if k.runShell(p, c, cmd, stderr) {
							return
						}
					}
				case channelClose:
					if len(msg) > 1 && msg[1] == channelStdin {
						k.runShell(p, c, "exit", stderr) // sh exits at the end of its input
						return
					}
				}
			}
		}()
	} else {
		go func() {
			for {
				if _, err := ws.readMessage(); err != nil {
					cancel()
					return
				}
			}
		}()
	}

	select {
	case <-done:
	case <-ctx.Done():
		return
	}
	// The container stopped: report its exit as the kubelet's attach does.
	status := metav1.Status{Status: metav1.StatusSuccess}
	k.mu.Lock()
	code := c.code()
	k.mu.Unlock()
	if code != 0 {
		status = metav1.Status{
			Status:  metav1.StatusFailure,
			Reason:  "NonZeroExitCode",
			Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command, exit code %d", code),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(int(code))}}},
		}
	}
	b, _ := json.Marshal(status)
	_ = ws.writeChannel(channelError, b)
	ws.closeNormally()
}

// runShell runs one line of the scripted shell; it reports whether the
// shell exited.
func (k *Kubelet) runShell(p *corev1.Pod, c *ctrState, cmd string, stderr func(string)) bool {
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return false
	}
	switch fields[0] {
	case "exit":
		code := 0
		if len(fields) > 1 {
			if n, err := strconv.Atoi(fields[1]); err == nil {
				code = n & 0xff
			}
		}
		k.stop(p, c, int32(code))
		return true
	case "echo":
		c.log.write([]byte(strings.Join(fields[1:], " ") + "\n"))
	default:
		stderr(fmt.Sprintf("sh: %s: not found\n", fields[0]))
	}
	return false
}

// stop terminates a container now with the exit code, and has the pod
// synced so the status shows it.
func (k *Kubelet) stop(p *corev1.Pod, c *ctrState, code int32) {
	k.mu.Lock()
	if c.finished == nil {
		now := time.Now()
		c.finished = &now
		c.exitCode = code
	}
	k.mu.Unlock()
	c.log.close()
	k.queue.Add(p.Namespace + "/" + p.Name)
}

// runScript plays a container whose command is `sh -c SCRIPT` (or
// `/bin/sh -c`, `bash -c`) without stdin, when no rule says otherwise:
// statements separated by ";", "&&" or newlines run in order through the
// scripted shell: `echo ARGS` writes ARGS to the log, `ps` lists the
// commands of the processes the container sees (its target's with
// targetContainerName, every container's with shareProcessNamespace, and
// its own), `exit N` terminates the
// container with N, `sleep`/`exec sleep` keeps it running from there on, and
// anything else writes `sh: CMD: not found` and sets status 127. A script
// that ends terminates the container with the last status. Any other
// command runs forever. It reports whether the container terminated, and
// its exit code. Call with k.mu held.
func runScript(c *ctrState) (bool, int32) {
	cmd := c.command
	if c.stdin || len(cmd) < 3 || cmd[1] != "-c" {
		return false, 0
	}
	switch cmd[0] {
	case "sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash":
	default:
		return false, 0
	}
	script := strings.NewReplacer("&&", ";", "\n", ";").Replace(cmd[2])
	var status int32
	for _, stmt := range strings.Split(script, ";") {
		f := strings.Fields(stmt)
		if len(f) > 0 && f[0] == "exec" {
			f = f[1:]
		}
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "sleep":
			return false, 0
		case "exit":
			code := 0
			if len(f) > 1 {
				if n, err := strconv.Atoi(f[1]); err == nil {
					code = n & 0xff
				}
			}
			c.log.close()
			return true, int32(code)
		case "echo":
			c.log.write([]byte(strings.Trim(strings.Join(f[1:], " "), `"'`) + "\n"))
			status = 0
		case "ps":
			// `ps -o args`: PID 1 and the other visible processes first,
			// then this shell and ps itself.
			out := "COMMAND\n"
			for _, v := range c.visible {
				out += strings.Join(v, " ") + "\n"
			}
			out += strings.Join(cmd, " ") + "\n" + strings.Join(f, " ") + "\n"
			c.log.write([]byte(out))
			status = 0
		case "true", ":":
			status = 0
		case "false":
			status = 1
		default:
			c.log.write([]byte(fmt.Sprintf("sh: %s: not found\n", f[0])))
			status = 127
		}
	}
	c.log.close()
	return true, status
}
