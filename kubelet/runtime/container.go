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
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// Container is a created container and, once started, its PID 1.
type Container struct {
	rt      *Runtime
	sb      *Sandbox
	cfg     ContainerConfig
	fs      *vfs.FS
	ns      *pidNamespace
	ownNS   bool // the container's PID 1 is its namespace's init
	log     *containerLog
	created time.Time

	mu         sync.Mutex
	init       *Process
	started    bool
	startedAt  time.Time
	finishedAt time.Time
	exitCode   int
	startErr   string
	stdin      *stdinPipe
	term       *terminal
	attached   map[*attachment]bool
	done       chan struct{}
}

// ID is the container's runtime ID.
func (c *Container) ID() string { return c.cfg.ID }

// Name is the container's name in the pod.
func (c *Container) Name() string { return c.cfg.Name }

// Done is closed when PID 1 has exited.
func (c *Container) Done() <-chan struct{} { return c.done }

// Running reports whether the container has started and not exited.
func (c *Container) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return false
	default:
	}
	return c.started
}

// Exit is PID 1's exit code (128+N when signal N killed it) and when it
// exited; valid once Done is closed.
func (c *Container) Exit() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitCode, c.finishedAt
}

// StartErr is why PID 1 could not be executed, or "".
func (c *Container) StartErr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startErr
}

// StartedAt is when PID 1 started.
func (c *Container) StartedAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startedAt
}

// ReadLog writes the container's log to w (see LogOptions).
func (c *Container) ReadLog(ctx context.Context, opts LogOptions, w io.Writer) error {
	return c.log.read(ctx, opts, w)
}

// StartError is what runc reports when PID 1 cannot be executed.
type StartError struct{ Message string }

func (e *StartError) Error() string { return e.Message }

// Start runs PID 1. An Args program that the container does not have is a
// StartError, as runc's "executable file not found".
func (c *Container) Start() error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return fmt.Errorf("container %s was already started", c.cfg.ID)
	}
	c.started = true
	c.startedAt = c.rt.now()
	c.attached = map[*attachment]bool{}
	c.mu.Unlock()

	caller := vfs.Caller{Cwd: c.workingDir(), UID: c.cfg.UID, GID: c.cfg.GID, Groups: c.cfg.Groups, Umask: 0o022}
	ppid := 0
	if c.sb.shared != nil {
		// In the pod's namespace, containers are children of nothing
		// visible but run under the pause process's init.
		ppid = 0
	}
	p := c.ns.newProcess(context.Background(), c, ppid, c.cfg.Args, caller, c.rt.now())
	var stdin io.Reader = strings.NewReader("")
	var stdout, stderr io.Writer = c.output(false), c.output(true)
	switch {
	case c.cfg.TTY:
		// With a tty, stderr goes to the terminal too: one stream.
		c.term = newTerminal(c.output(false), nil, func(sig syscall.Signal) { c.signalForeground(sig) })
		p.term = c.term
		stdin, stdout, stderr = c.term, c.term, c.term
		c.stdin = c.term.in
		if !c.cfg.Stdin {
			c.stdin.CloseWithEOF()
		}
	case c.cfg.Stdin:
		c.stdin = newStdinPipe()
		stdin = c.stdin
	}
	c.mu.Lock()
	c.init = p
	c.mu.Unlock()

	var run func() int
	if c.cfg.Program != nil {
		prog := c.cfg.Program
		run = func() int {
			return prog(p.ctx, func(s string) { io.WriteString(stdout, s) }, func(s string) { io.WriteString(stderr, s) })
		}
	} else {
		prog, err := resolve(p, c.cfg.Args, c.cfg.Env)
		if err != nil {
			c.ns.mu.Lock()
			delete(c.ns.procs, p.pid)
			c.ns.mu.Unlock()
			serr := &StartError{Message: fmt.Sprintf("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: %v", err)}
			c.mu.Lock()
			c.startErr = serr.Message
			c.mu.Unlock()
			c.finish(128)
			return serr
		}
		run = func() int { return prog.run(p, c.cfg.Env, stdin, stdout, stderr) }
	}
	go func() {
		code := run()
		if sig := p.Signaled(); sig != 0 {
			code = 128 + int(sig)
		}
		c.finish(code)
	}()
	return nil
}

func (c *Container) workingDir() string {
	if c.cfg.WorkingDir != "" {
		return c.cfg.WorkingDir
	}
	return "/"
}

// finish records PID 1's exit: the processes of the container die with it
// (all of the namespace when PID 1 was its init), the log ends, and the
// owner hears of it.
func (c *Container) finish(code int) {
	c.mu.Lock()
	select {
	case <-c.done:
		c.mu.Unlock()
		return
	default:
	}
	c.exitCode = code
	c.finishedAt = c.rt.now()
	init := c.init
	close(c.done)
	c.mu.Unlock()
	if init != nil {
		init.Exit(code)
	}
	if c.ownNS {
		c.ns.killAll(nil)
	} else {
		c.ns.killAll(c)
	}
	if c.stdin != nil {
		c.stdin.CloseWithEOF()
	}
	c.log.close()
	if c.rt.opts.OnExit != nil {
		go c.rt.opts.OnExit(c)
	}
}

// Stop stops the container as CRI StopContainer: SIGTERM to PID 1, then
// SIGKILL once the grace period has passed. It returns at once; Done tells
// when the container has exited.
func (c *Container) Stop(grace time.Duration) {
	c.mu.Lock()
	p := c.init
	c.mu.Unlock()
	if p == nil {
		c.finish(0)
		return
	}
	p.deliver(syscall.SIGTERM, false)
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			p.deliver(syscall.SIGKILL, false)
		}
	}()
}

// kill ends the container at once (its sandbox is removed).
func (c *Container) kill() {
	c.mu.Lock()
	p := c.init
	c.mu.Unlock()
	if p != nil {
		p.deliver(syscall.SIGKILL, false)
	} else {
		c.finish(137)
	}
}

// signalForeground sends a terminal's signal (^C) to the processes of the
// container that have the terminal.
func (c *Container) signalForeground(sig syscall.Signal) {
	for _, pi := range c.ns.list() {
		if p := c.ns.get(pi.PID); p != nil && p.ctr == c && p.term != nil {
			p.deliver(sig, true)
		}
	}
}

// output is where PID 1's stdout or stderr goes: the log and the attached
// clients.
func (c *Container) output(stderr bool) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		c.log.write(p, stderr)
		c.mu.Lock()
		var ws []io.Writer
		for a := range c.attached {
			if w := a.writer(stderr); w != nil {
				ws = append(ws, w)
			}
		}
		c.mu.Unlock()
		for _, w := range ws {
			w.Write(p)
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// mountsText is /proc/mounts of the container.
func (c *Container) mountsText() string {
	var b strings.Builder
	b.WriteString("overlay / overlay rw,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\ntmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755 0 0\nsysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0\n")
	for _, m := range c.cfg.Mounts {
		fmt.Fprintf(&b, "/dev/root %s ext4 rw,relatime 0 0\n", m.Path)
	}
	return b.String()
}
