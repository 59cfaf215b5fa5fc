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

// Package busybox holds the busybox applets a debugging session types,
// written in Go over a simulated container's filesystem (package vfs) and
// its PID namespace (Sys). Output is byte for byte what busybox v1.35.0
// prints: the Debian busybox-static build that the kind e2e's busybox:1.36
// image is made of (hack/kind/build-images.sh), whose formats were read from
// running that binary; usage texts are that binary's own, captured by
// hack/update-busybox-usage.sh.
//
// An applet never reaches the host: every file is a vfs node, every process
// a Sys entry, every name lookup an answer of the simulated cluster.
package busybox

import (
	"context"
	"embed"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// Version is the banner busybox prints in usage texts and the shell's.
const Version = "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)"

// Class says how ash runs an applet, which decides the process table a
// `ps` sees: busybox's APPLET_NOFORK, APPLET_NOEXEC and plain applets
// (include/applets.src.h), as the Debian build (FEATURE_SH_STANDALONE,
// FEATURE_SH_NOFORK) runs them.
type Class int

const (
	// Builtin applets run inside the shell process (ash builtins and
	// NOFORK applets): no new process.
	Builtin Class = iota
	// NoExec applets run in a forked child without exec: the child keeps
	// the shell's command line and ps shows "{name} sh -c ...".
	NoExec
	// Exec applets are forked and executed: the child's command line is
	// the applet's own.
	Exec
)

// Applet is one command.
type Applet struct {
	Name  string
	Class Class
	Main  func(e *Env) int
}

// Env is one run of an applet: its arguments, streams, environment and the
// process it runs as.
type Env struct {
	Ctx     context.Context // done when the process is killed
	Args    []string        // Args[0] is the name it was called by
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string // NAME=value
	Sys     Sys
	// Prog prefixes error messages (busybox's applet_name): the applet's
	// name, or "sh" when ash runs it as a builtin.
	Prog string
	// Exec runs a command as execvp would from this process (env's
	// COMMAND): its exit code, or an error when it cannot be found.
	Exec func(args, environ []string) (int, error)
}

// Uname is what uname(2) reports.
type Uname struct {
	Sysname, Nodename, Release, Version, Machine string
}

// ProcInfo is a process as /proc shows it to ps.
type ProcInfo struct {
	PID, PPID, PGID, SID int
	UID, GID             int
	Comm                 string   // at most 15 bytes, as the kernel keeps it
	Args                 []string // empty for a zombie
	State                string   // "S  ", "R  ", "Z  "
	VSZ, RSS             int      // KiB
	TTY                  bool
	Start                time.Time
}

// Sys is what the kernel tells a simulated process and does for it.
type Sys interface {
	PID() int
	// Caller is the process's working directory, credentials and umask.
	Caller() *vfs.Caller
	FS() *vfs.FS
	Uname() Uname
	Now() time.Time
	// Processes lists the processes of the caller's PID namespace by PID.
	Processes() []ProcInfo
	// Kill sends sig to pid in the caller's PID namespace (0: the
	// existence check of kill -0).
	Kill(pid int, sig syscall.Signal) error
	// Terminal reports whether fd 1 is a terminal and its width.
	Terminal() (bool, int)
	// Resolve asks the nameserver at server (an IP) for name's addresses of
	// type qtype ("A", "AAAA"), as a DNS query from the pod's network would.
	Resolve(ctx context.Context, server, name, qtype string) ([]string, error)
}

// Getenv returns an environment variable of the applet.
func (e *Env) Getenv(name string) string {
	for i := len(e.Environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e.Environ[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Errorf prints "NAME: message" to stderr, as bb_error_msg.
func (e *Env) Errorf(format string, args ...any) {
	prog := e.Prog
	if prog == "" {
		prog = e.Name()
	}
	fmt.Fprintf(e.Stderr, "%s: %s\n", prog, fmt.Sprintf(format, args...))
}

// Name is the applet's name (basename of argv[0]), as applet_name.
func (e *Env) Name() string { return path.Base(e.Args[0]) }

// PathError prints busybox's "NAME: PATH: strerror" (bb_simple_perror_msg).
func (e *Env) PathError(name string, err error) {
	e.Errorf("%s: %s", name, vfs.Strerror(err))
}

//go:embed usage/*.txt
var usageTexts embed.FS

// Usage prints the applet's usage text to stderr and returns 1, as
// bb_show_usage does.
func (e *Env) Usage() int {
	text, err := usageTexts.ReadFile("usage/" + e.Name() + ".txt")
	if err != nil {
		text = []byte(Version + " multi-call binary.\n")
	}
	_, _ = e.Stderr.Write(text)
	return 1
}

var applets = map[string]*Applet{}

func register(name string, class Class, main func(e *Env) int) {
	applets[name] = &Applet{Name: name, Class: class, Main: main}
}

// Register adds an applet defined elsewhere (the shell).
func Register(name string, class Class, main func(e *Env) int) { register(name, class, main) }

// Strerror is the C library's message for an error's errno.
func Strerror(err error) string { return vfs.Strerror(err) }

// Lookup finds an applet by name.
func Lookup(name string) (*Applet, bool) {
	a, ok := applets[name]
	return a, ok
}

// Links lists the names busybox:1.36's /bin links to busybox (all of
// busybox's applets, `busybox --list`); those Ephemera does not have are
// "not found" when run.
func Links() []string {
	var out []string
	for _, n := range All() {
		if n != "busybox" {
			out = append(out, n)
		}
	}
	return out
}

// All lists every applet of busybox, as `busybox --list` (and ash's help)
// does.
func All() []string {
	data, _ := usageTexts.ReadFile("usage/applets.txt")
	return strings.Fields(string(data))
}

// Names lists the applets Ephemera has, sorted.
func Names() []string {
	var out []string
	for n := range applets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// sleepCtx waits d or until the process is killed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
