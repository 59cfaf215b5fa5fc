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
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// containerState is how containerd names a container's state in its
// errors (criContainerStateToString).
func (c *Container) containerState() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return "CONTAINER_EXITED"
	default:
	}
	if !c.started {
		return "CONTAINER_CREATED"
	}
	return "CONTAINER_RUNNING"
}

func (r *Runtime) running(id string) (*Container, error) {
	c, ok := r.Container(id)
	if !ok {
		return nil, fmt.Errorf("container %q not found", id)
	}
	if st := c.containerState(); st != "CONTAINER_RUNNING" {
		return nil, fmt.Errorf("container is in %s state", st)
	}
	return c, nil
}

// Exec runs cmd in a running container, as containerd's CRI streaming
// server does for `kubectl exec`: a new process in the container's PID
// namespace with the container's environment, working directory and user.
// A non-zero exit is a utilexec.CodeExitError worded as containerd words
// it; a command that cannot be executed is runc's error.
func (r *Runtime) Exec(ctx context.Context, containerID string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	c, err := r.running(containerID)
	if err != nil {
		return err
	}
	caller := vfs.Caller{Cwd: c.workingDir(), UID: c.cfg.UID, GID: c.cfg.GID, Groups: c.cfg.Groups, Umask: 0o022}
	p := c.ns.newProcess(ctx, c, 0, cmd, caller, r.now())
	defer p.Exit(0)
	prog, err := resolve(p, cmd, c.cfg.Env)
	if err != nil {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%d", containerID, p.pid, r.now().UnixNano())))
		return fmt.Errorf("failed to exec in container: failed to start exec %q: OCI runtime exec failed: exec failed: unable to start container process: %v", hex.EncodeToString(sum[:]), err)
	}
	var stdin io.Reader = strings.NewReader("")
	if in != nil {
		stdin = in
	}
	var stdout, stderr io.Writer = discard(out), discard(errw)
	if tty {
		t := newTerminal(discard(out), nil, func(sig syscall.Signal) { p.deliver(sig, true) })
		p.term = t
		// The client's size comes first (kubectl sends it as the stream
		// opens): the program starts knowing its width.
		if resize != nil {
			select {
			case s, ok := <-resize:
				if ok {
					t.resize(int(s.Width), int(s.Height))
				}
			case <-time.After(200 * time.Millisecond):
			}
		}
		go followResize(ctx, resize, t)
		if in != nil {
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := in.Read(buf)
					t.feed(buf[:n])
					if err != nil {
						t.closeInput()
						return
					}
				}
			}()
		} else {
			t.closeInput()
		}
		stdin, stdout, stderr = t, t, t
	}
	code := prog.run(p, c.cfg.Env, stdin, stdout, stderr)
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("error executing command %v, exit code %d", cmd, code), Code: code}
	}
	return nil
}

func discard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func followResize(ctx context.Context, resize <-chan remotecommand.TerminalSize, t *terminal) {
	if resize == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-resize:
			if !ok {
				return
			}
			t.resize(int(s.Width), int(s.Height))
		}
	}
}

// attachment is one attached client's output streams.
type attachment struct {
	out, err io.Writer
}

func (a *attachment) writer(stderr bool) io.Writer {
	if stderr {
		return a.err
	}
	return a.out
}

// Attach connects a client to a running container's PID 1, as containerd
// does: it gets what PID 1 writes from now on; what it sends goes to PID
// 1's stdin (through the terminal with a tty); with stdinOnce the stdin
// closes when the client's does. It returns when the container exits or
// the client goes away.
func (r *Runtime) Attach(ctx context.Context, containerID string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	c, err := r.running(containerID)
	if err != nil {
		return err
	}
	a := &attachment{}
	if out != nil {
		a.out = out
	}
	if errw != nil && !c.cfg.TTY {
		a.err = errw
	}
	c.mu.Lock()
	c.attached[a] = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.attached, a)
		c.mu.Unlock()
	}()
	if c.term != nil {
		go followResize(ctx, resize, c.term)
	}
	// The client's stdin ending detaches it, unless it is the one stdin
	// of a container without a terminal, which then closes (containerd
	// internal/cri/io/container_io.go, Attach).
	detached := make(chan struct{})
	if in != nil && c.cfg.Stdin {
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := in.Read(buf)
				if n > 0 {
					if c.term != nil {
						c.term.feed(buf[:n])
					} else {
						c.stdin.Write(buf[:n])
					}
				}
				if err != nil {
					if c.cfg.StdinOnce {
						if c.term != nil {
							c.term.closeInput()
						} else {
							c.stdin.CloseWithEOF()
						}
					}
					if !c.cfg.StdinOnce || tty {
						close(detached)
					}
					return
				}
			}
		}()
	}
	select {
	case <-c.done:
	case <-detached:
	case <-ctx.Done():
	}
	return nil
}
