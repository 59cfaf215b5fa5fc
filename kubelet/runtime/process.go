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
	"path"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
	"github.com/ephemera-dev/ephemera/kubelet/runtime/shell"
	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// pidNamespace is a PID namespace: a container's own, the pod's shared one
// (shareProcessNamespace), or a target container's that an ephemeral
// container joined (targetContainerName).
type pidNamespace struct {
	mu    sync.Mutex
	next  int
	procs map[int]*Process
}

func newPIDNamespace() *pidNamespace { return &pidNamespace{next: 1, procs: map[int]*Process{}} }

// Process is a simulated process: an entry in its PID namespace whose
// program runs in a goroutine of this Go process.
type Process struct {
	ns   *pidNamespace
	pid  int
	ppid int
	ctr  *Container

	mu       sync.Mutex
	args     []string
	comm     string
	caller   vfs.Caller
	start    time.Time
	ignored  map[syscall.Signal]bool
	handled  map[syscall.Signal]func(syscall.Signal)
	signaled syscall.Signal
	exited   bool
	term     *terminal // the controlling terminal, if any

	ctx    context.Context
	cancel context.CancelFunc
}

// newProcess adds a process to ns: PID 1 when the namespace is new.
func (ns *pidNamespace) newProcess(parent context.Context, ctr *Container, ppid int, args []string, caller vfs.Caller, now time.Time) *Process {
	ns.mu.Lock()
	pid := ns.next
	ns.next++
	ctx, cancel := context.WithCancel(parent)
	p := &Process{ns: ns, pid: pid, ppid: ppid, ctr: ctr, args: append([]string(nil), args...), caller: caller,
		start: now, ctx: ctx, cancel: cancel, ignored: map[syscall.Signal]bool{}, handled: map[syscall.Signal]func(syscall.Signal){}}
	p.comm = commOf(args)
	caller.PID = pid
	p.caller.PID = pid
	ns.procs[pid] = p
	ns.mu.Unlock()
	return p
}

// commOf is the kernel's comm for an executed program: the base name of
// the file, at most 15 bytes.
func commOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	c := path.Base(args[0])
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

func (p *Process) PID() int                      { return p.pid }
func (p *Process) Caller() *vfs.Caller           { return &p.caller }
func (p *Process) FS() *vfs.FS                   { return p.ctr.fs }
func (p *Process) Now() time.Time                { return p.ctr.rt.now() }
func (p *Process) Context() context.Context      { return p.ctx }
func (p *Process) Uname() busybox.Uname          { return p.ctr.uname() }
func (p *Process) Processes() []busybox.ProcInfo { return p.ns.list() }

// Terminal reports whether the process's stdout is its terminal, and the
// terminal's width.
func (p *Process) Terminal() (bool, int) {
	p.mu.Lock()
	t := p.term
	p.mu.Unlock()
	if t == nil {
		return false, 0
	}
	return true, t.width()
}

// OnResize calls fn when the process's terminal is resized.
func (p *Process) OnResize(fn func()) func() {
	p.mu.Lock()
	t := p.term
	p.mu.Unlock()
	if t == nil {
		return func() {}
	}
	return t.watch(fn)
}

// Resolve answers a DNS query from the pod's network.
func (p *Process) Resolve(ctx context.Context, server, name, qtype string) ([]string, error) {
	return p.ctr.rt.resolve(ctx, server, name, qtype)
}

// Signaled is the signal that killed the process, or 0.
func (p *Process) Signaled() syscall.Signal {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.signaled
}

// Fork adds a child with this process's command line, credentials and
// working directory.
func (p *Process) Fork() shell.Process {
	p.mu.Lock()
	args, caller, term, comm := p.args, p.caller, p.term, p.comm
	p.mu.Unlock()
	c := p.ns.newProcess(p.ctx, p.ctr, p.pid, args, caller, p.Now())
	c.comm = comm
	c.term = term
	return c
}

// Exec replaces the command line, as execve does.
func (p *Process) Exec(args []string) {
	p.mu.Lock()
	p.args = append([]string(nil), args...)
	p.comm = commOf(args)
	// execve resets handled signals to their default action.
	p.handled = map[syscall.Signal]func(syscall.Signal){}
	p.mu.Unlock()
}

// SetComm renames the process (prctl PR_SET_NAME, as busybox does for an
// applet run without exec).
func (p *Process) SetComm(name string) {
	p.mu.Lock()
	p.comm = commOf([]string{name})
	p.mu.Unlock()
}

// Ignore sets signals to be ignored.
func (p *Process) Ignore(sigs ...syscall.Signal) {
	p.mu.Lock()
	for _, s := range sigs {
		p.ignored[s] = true
	}
	p.mu.Unlock()
}

// handle installs a handler for sig (the pause container's SIGTERM).
func (p *Process) handle(sig syscall.Signal, fn func(syscall.Signal)) {
	p.mu.Lock()
	p.handled[sig] = fn
	p.mu.Unlock()
}

// Exit ends the process: it leaves its namespace (reaped at once).
func (p *Process) Exit(int) {
	p.mu.Lock()
	p.exited = true
	p.mu.Unlock()
	p.cancel()
	p.ns.mu.Lock()
	if p.ns.procs[p.pid] == p {
		delete(p.ns.procs, p.pid)
	}
	p.ns.mu.Unlock()
}

// Kill sends sig from inside the caller's namespace, as kill(2).
func (p *Process) Kill(pid int, sig syscall.Signal) error {
	p.ns.mu.Lock()
	target := p.ns.procs[pid]
	p.ns.mu.Unlock()
	if pid <= 0 || target == nil {
		return syscall.ESRCH
	}
	if p.caller.UID != 0 && p.caller.UID != target.caller.UID {
		return syscall.EPERM
	}
	if sig != 0 {
		target.deliver(sig, true)
	}
	return nil
}

// defaultIgnored are the signals whose default action is to do nothing.
var defaultIgnored = map[syscall.Signal]bool{syscall.SIGCHLD: true, syscall.SIGWINCH: true, syscall.SIGURG: true,
	syscall.SIGCONT: true, syscall.SIGSTOP: true, syscall.SIGTSTP: true, syscall.SIGTTIN: true, syscall.SIGTTOU: true}

// deliver applies sig. A namespace's init is protected as the kernel
// protects it: from inside its namespace it gets only signals it handles
// (not even SIGKILL); from outside (the runtime stopping a container),
// SIGKILL and handled signals.
func (p *Process) deliver(sig syscall.Signal, fromInside bool) {
	p.mu.Lock()
	if p.exited || p.signaled != 0 {
		p.mu.Unlock()
		return
	}
	handler := p.handled[sig]
	ignored := p.ignored[sig]
	init := p.pid == 1
	p.mu.Unlock()
	switch {
	case handler != nil:
		handler(sig)
		return
	case init && (fromInside || sig != syscall.SIGKILL):
		return
	case sig == syscall.SIGKILL:
	case ignored || defaultIgnored[sig]:
		return
	}
	p.terminate(sig)
}

// terminate kills the process with sig.
func (p *Process) terminate(sig syscall.Signal) {
	p.mu.Lock()
	if p.signaled == 0 && !p.exited {
		p.signaled = sig
	}
	p.mu.Unlock()
	p.cancel()
}

// info is the process as /proc shows it.
func (p *Process) info() busybox.ProcInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	state := "S  "
	return busybox.ProcInfo{PID: p.pid, PPID: p.ppid, UID: p.caller.UID, GID: p.caller.GID, Comm: p.comm,
		Args: p.args, State: state, VSZ: 2268, RSS: 1300, TTY: p.term != nil, Start: p.start}
}

func (ns *pidNamespace) list() []busybox.ProcInfo {
	ns.mu.Lock()
	procs := make([]*Process, 0, len(ns.procs))
	for _, p := range ns.procs {
		procs = append(procs, p)
	}
	ns.mu.Unlock()
	sort.Slice(procs, func(i, j int) bool { return procs[i].pid < procs[j].pid })
	out := make([]busybox.ProcInfo, 0, len(procs))
	for _, p := range procs {
		out = append(out, p.info())
	}
	return out
}

func (ns *pidNamespace) get(pid int) *Process {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.procs[pid]
}

// killAll kills every process of the namespace (its init has exited), or
// of one container (ctr non-nil).
func (ns *pidNamespace) killAll(ctr *Container) {
	ns.mu.Lock()
	var victims []*Process
	for _, p := range ns.procs {
		if ctr == nil || p.ctr == ctr {
			victims = append(victims, p)
		}
	}
	ns.mu.Unlock()
	for _, p := range victims {
		p.terminate(syscall.SIGKILL)
	}
}

var _ shell.Process = (*Process)(nil)
