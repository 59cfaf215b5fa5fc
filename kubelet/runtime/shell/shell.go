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

// Package shell is the `sh` of a simulated container: busybox's ash, played
// by mvdan.cc/sh/v3's POSIX interpreter inside the container's sandbox.
// Every command resolves to a busybox applet (package busybox) or is "not
// found"; every file is the container's (package vfs); processes are the
// container's PID namespace's (Process). The interpreter's handlers are all
// replaced, so nothing reaches the host: no process is started, no host file
// is opened, no connection is made.
package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
)

// Process is the simulated process a shell, or a command it starts, runs as.
type Process interface {
	busybox.Sys
	// Context is done when the process is killed.
	Context() context.Context
	// Signaled is the signal that killed the process, or 0.
	Signaled() syscall.Signal
	// Fork starts a child: a copy of this process (command line,
	// credentials, working directory) with its own PID.
	Fork() Process
	// Exec replaces the process's command line, as execve of an applet.
	Exec(args []string)
	// SetComm changes the command name alone: an applet ash runs in a
	// forked child without exec.
	SetComm(name string)
	// Exit ends a child process with its exit code.
	Exit(code int)
	// Ignore sets signals the process ignores (an interactive ash ignores
	// SIGTERM and SIGQUIT, and handles SIGINT).
	Ignore(sigs ...syscall.Signal)
	// OnResize calls fn when the process's terminal changes size (its
	// SIGWINCH), until the returned function is called.
	OnResize(fn func()) (stop func())
}

// shell is one running sh.
type shell struct {
	proc        Process
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	interactive bool
	fromC       bool // running sh -c (ash counts its lines from 0)
	place       placements
	born        map[string]int
	inherited   map[string]bool // exported from the start
	runner      *interp.Runner
}

func init() {
	for _, name := range []string{"sh", "ash"} {
		busybox.Register(name, busybox.Exec, Main)
	}
}

// Main is the sh applet: `sh -c SCRIPT [ARG0 ARGS...]`, `sh FILE ARGS`,
// or commands read from stdin (interactively with -i or a terminal).
func Main(e *busybox.Env) int {
	p, ok := e.Sys.(Process)
	if !ok {
		e.Errorf("not a simulated process")
		return 2
	}
	s := &shell{proc: p, stdin: e.Stdin, stdout: e.Stdout, stderr: e.Stderr, born: map[string]int{}}
	var script *string
	forceInteractive := false
	var opts []string
	args := e.Args[1:]
	for len(args) > 0 && len(args[0]) > 1 && (args[0][0] == '-' || args[0][0] == '+') {
		a := args[0]
		args = args[1:]
		if a == "--" || a == "-" {
			break
		}
		for _, c := range a[1:] {
			switch c {
			case 'c':
				if len(args) == 0 {
					e.Errorf("-c requires an argument")
					return 2
				}
				script = &args[0]
				args = args[1:]
			case 'i':
				forceInteractive = true
			case 's', 'l':
			case 'e', 'u', 'x', 'f', 'n', 'v', 'a', 'C', 'b', 'm':
				opts = append(opts, string(a[0])+string(c))
			default:
				e.Errorf("-%c: invalid option", c)
				return 2
			}
		}
	}
	for _, name := range ashBuiltinVars {
		s.order(name)
	}
	for _, kv := range e.Environ {
		k, _, _ := strings.Cut(kv, "=")
		s.order(k)
	}
	environ := s.initialEnviron(e.Environ)
	params := append(opts, "--")
	switch {
	case script != nil:
		if len(args) > 0 {
			args = args[1:] // ARG0 is $0
		}
		params = append(params, args...)
		if err := s.newRunner(environ, params, e.Stdin); err != nil {
			e.Errorf("%v", err)
			return 2
		}
		s.fromC = true
		return s.runScript(*script, true)
	case len(args) > 0:
		data, err := s.readScript(args[0])
		if err != nil {
			e.Errorf("can't open '%s': %s", args[0], strerror(err))
			return 127
		}
		params = append(params, args[1:]...)
		if err := s.newRunner(environ, params, e.Stdin); err != nil {
			e.Errorf("%v", err)
			return 2
		}
		return s.runScript(string(data), true)
	}
	tty, _ := p.Terminal()
	s.interactive = forceInteractive || tty
	if err := s.newRunner(environ, params, nil); err != nil {
		e.Errorf("%v", err)
		return 2
	}
	return s.readLoop()
}

// initialEnviron is what ash exports from the start: the environment, with
// SHLVL incremented and PWD set.
func (s *shell) initialEnviron(env []string) *environ {
	vars := append([]string(nil), env...)
	lvl := 0
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == "SHLVL" {
			lvl, _ = strconv.Atoi(v)
		}
	}
	vars = append(vars, "SHLVL="+strconv.Itoa(lvl+1))
	s.order("SHLVL")
	cwd := s.proc.Caller().Cwd
	vars = append(vars, "PWD="+cwd)
	s.order("PWD")
	s.inherited = map[string]bool{}
	for _, kv := range vars {
		k, _, _ := strings.Cut(kv, "=")
		s.inherited[k] = true
	}
	return &environ{vars: vars, extra: map[string]string{
		pidVar: strconv.Itoa(s.proc.PID()),
		// The parent is outside the namespace when the shell is PID 1 or
		// was started by an exec: ash's getppid() is 0 then.
		ppidVar: strconv.Itoa(parentPID(s.proc)),
	}}
}

func parentPID(p Process) int {
	for _, pi := range p.Processes() {
		if pi.PID == p.PID() {
			return pi.PPID
		}
	}
	return 0
}

func (s *shell) newRunner(env *environ, params []string, stdin io.Reader) error {
	dir := s.proc.Caller().Cwd
	r, err := interp.New(
		interp.Env(env),
		interp.RunnerOption(func(r *interp.Runner) error {
			// interp.Dir would stat the host's directory.
			r.Dir = dir
			return nil
		}),
		interp.StdIO(stdin, s.stdout, s.stderr),
		interp.ExecHandlers(s.execMiddleware),
		interp.CallHandler(s.call),
		interp.OpenHandler(s.open),
		interp.StatHandler(s.stat),
		interp.ReadDirHandler2(s.readDir),
		interp.AccessHandler(s.access),
		interp.Params(params...),
	)
	if err != nil {
		return err
	}
	if !env.has("HOME") {
		// The interpreter fills a missing $HOME with the host process's
		// (os.UserHomeDir); ash leaves it unset.
		r.Reset()
		unset, err := parser().Parse(strings.NewReader("unset HOME"), "")
		if err != nil {
			return err
		}
		if err := r.Run(context.Background(), unset); err != nil {
			return err
		}
	}
	s.runner = r
	return nil
}

func (s *shell) readScript(name string) ([]byte, error) {
	f, err := s.proc.FS().Open(s.proc.Caller(), name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func parser() *syntax.Parser { return syntax.NewParser(syntax.Variant(syntax.LangPOSIX)) }

// runScript runs a whole program (sh -c, sh FILE) and returns the shell's
// exit status.
func (s *shell) runScript(src string, exitAfter bool) int {
	file, err := parser().Parse(strings.NewReader(src), "")
	if err != nil {
		fmt.Fprintf(s.stderr, "sh: syntax error: %s\n", syntaxMessage(err))
		return 2
	}
	rewrite(file.Stmts)
	s.place = analyze(file.Stmts, exitAfter)
	err = s.runner.Run(s.proc.Context(), file)
	return s.status(err)
}

// status turns the interpreter's result into an exit code: a killed shell
// exits 128+signal.
func (s *shell) status(err error) int {
	if sig := s.proc.Signaled(); sig != 0 {
		return 128 + int(sig)
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "sh: %v\n", err)
		return 2
	}
	return 0
}

// rewrite makes $$ and $PPID the simulated process's (see environ).
func rewrite(stmts []*syntax.Stmt) {
	for _, st := range stmts {
		syntax.Walk(st, func(n syntax.Node) bool {
			if pe, ok := n.(*syntax.ParamExp); ok && pe.Param != nil {
				switch pe.Param.Value {
				case "$":
					pe.Param.Value = pidVar
				case "PPID":
					pe.Param.Value = ppidVar
				}
			}
			return true
		})
	}
}

// syntaxMessage words a parse error as ash does for the common cases.
func syntaxMessage(err error) string {
	var pe syntax.ParseError
	msg := err.Error()
	if errors.As(err, &pe) {
		msg = pe.Text
	}
	switch {
	case strings.Contains(msg, "reached EOF without closing quote"):
		return "unterminated quoted string"
	case strings.Contains(msg, "reached EOF without matching"):
		if f := strings.Fields(msg); len(f) > 0 {
			return fmt.Sprintf("unexpected end of file (expecting %s)", f[len(f)-1])
		}
		return "unexpected end of file"
	case strings.Contains(msg, "must be followed by"):
		return "unexpected end of file"
	}
	return msg
}

func strerror(err error) string { return busybox.Strerror(err) }

// envOf is the exported environment a command gets.
func (s *shell) envOf(hc interp.HandlerContext) []string { return s.exported(hc.Env) }

var _ expand.Environ = (*environ)(nil)
