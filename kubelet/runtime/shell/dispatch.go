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

package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
)

// internal prefixes the name of a builtin the shell answers itself (the
// interpreter's own would look at the host, or word its messages otherwise):
// the call handler renames the call so that it reaches the exec handler.
const internal = "\x00"

// answered are ash builtins Ephemera runs instead of the interpreter's.
var answered = map[string]bool{
	"kill": true, "test": true, "[": true, "pwd": true, "printf": true, "echo": true,
	"type": true, "command": true, "hash": true, "umask": true, "ulimit": true,
	"jobs": true, "fg": true, "bg": true, "help": true,
}

// ashBuiltins are ash's builtins (what `type` calls "a shell builtin").
var ashBuiltins = strings.Fields(". : [ [[ alias bg break cd chdir command continue echo eval exec exit export false fg getopts hash help history jobs kill let local printf pwd read readonly return set shift source test times trap true type ulimit umask unalias unset wait")

func (s *shell) call(ctx context.Context, args []string) ([]string, error) {
	name := args[0]
	switch {
	case answered[name]:
		return append([]string{internal + name}, args[1:]...), nil
	case name == "cd" || name == "chdir":
		if msg := s.cdError(ctx, args[1:]); msg != "" {
			return []string{internal + "error", "cd", msg}, nil
		}
	case name == "." || name == "source":
		return s.source(ctx, args)
	case name == "eval":
		// eval parses as bash: refuse process substitution, whose FIFOs
		// the interpreter would create in the host's temporary directory.
		if hasProcSubst(strings.Join(args[1:], " ")) {
			return []string{internal + "error", "eval", "syntax error: process substitution"}, nil
		}
	}
	return args, nil
}

func hasProcSubst(src string) bool {
	f, err := syntax.NewParser().Parse(strings.NewReader(src), "")
	if err != nil {
		return false
	}
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if _, ok := n.(*syntax.ProcSubst); ok {
			found = true
		}
		return !found
	})
	return found
}

// source runs a file in the current shell: its content, read from the
// container, is handed to eval (the interpreter's source would look the
// file up on the host).
func (s *shell) source(ctx context.Context, args []string) ([]string, error) {
	if len(args) < 2 {
		return []string{internal + "error", args[0], "need filename"}, nil
	}
	data, err := s.readFileAs(ctx, args[1])
	if err != nil {
		return []string{internal + "error", args[0], fmt.Sprintf("can't open '%s': %s", args[1], strerror(err))}, nil
	}
	if hasProcSubst(string(data)) {
		return []string{internal + "error", args[0], "syntax error: process substitution"}, nil
	}
	return []string{"eval", string(data)}, nil
}

func (s *shell) readFileAs(ctx context.Context, name string) ([]byte, error) {
	f, err := s.proc.FS().Open(s.caller(ctx), name, 0, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// cdError is ash's complaint about a cd that cannot happen, or "".
func (s *shell) cdError(ctx context.Context, args []string) string {
	for len(args) > 0 && (args[0] == "-L" || args[0] == "-P") {
		args = args[1:]
	}
	hc, _ := handlerCtx(ctx)
	dir := hc.Env.Get("HOME").String()
	if len(args) > 0 {
		dir = args[0]
	}
	if dir == "-" {
		dir = hc.Env.Get("OLDPWD").String()
	}
	if dir == "" {
		return ""
	}
	info, err := s.proc.FS().Stat(s.caller(ctx), dir)
	if err == nil && !info.IsDir() {
		err = syscall.ENOTDIR
	}
	if err == nil {
		err = s.proc.FS().Access(s.caller(ctx), dir, 1)
	}
	if err != nil {
		return fmt.Sprintf("can't cd to %s: %s", dir, strerror(err))
	}
	return ""
}

// execMiddleware is the only exec handler: it never calls next (the
// interpreter's default, which would start host processes).
func (s *shell) execMiddleware(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		code := s.dispatch(ctx, interp.HandlerCtx(ctx), args)
		if code == 0 {
			return nil
		}
		return interp.ExitStatus(uint8(code))
	}
}

// command is what a name resolves to.
type command struct {
	applet *busybox.Applet
	class  busybox.Class
	argv   []string // the arguments the program gets (a script gets sh FILE ARGS)
}

func (s *shell) dispatch(ctx context.Context, hc interp.HandlerContext, args []string) int {
	if strings.HasPrefix(args[0], internal) {
		return s.builtin(ctx, hc, strings.TrimPrefix(args[0], internal), args[1:])
	}
	cmd, code, msg := s.lookup(hc.Env, hc.Dir, args)
	if code != 0 {
		fmt.Fprintf(hc.Stderr, "sh: %s: %s\n", args[0], msg)
		return code
	}
	return s.start(hc, cmd, s.place.of(hc.Pos))
}

// lookup resolves a command name as ash with FEATURE_SH_STANDALONE does:
// an applet name first (even outside PATH), then PATH; a name with a slash
// is executed from the container's filesystem. It returns 127 "not found"
// or 126 "Permission denied" when the name cannot be run.
func (s *shell) lookup(env expand.Environ, dir string, args []string) (command, int, string) {
	name := args[0]
	if !strings.Contains(name, "/") {
		if a, ok := busybox.Lookup(name); ok {
			return command{applet: a, class: a.Class, argv: args}, 0, ""
		}
		for _, d := range strings.Split(env.Get("PATH").String(), ":") {
			if d == "" {
				d = "."
			}
			cand := path.Join(d, name)
			if cmd, code, _ := s.program(dir, cand, args); code == 0 {
				return cmd, 0, ""
			}
		}
		return command{}, 127, "not found"
	}
	return s.program(dir, name, args)
}

// program is a file of the container to execute: busybox (dispatching on
// argv[0]'s base name), or a shell script.
func (s *shell) program(dir, file string, args []string) (command, int, string) {
	c := *s.proc.Caller()
	c.Cwd = dir
	prog, err := s.proc.FS().Executable(&c, file)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return command{}, 127, "not found"
	case err != nil:
		return command{}, 126, strerror(err)
	case prog == "busybox":
		name := path.Base(args[0])
		if name == "busybox" && len(args) > 1 {
			args, name = args[1:], path.Base(args[1])
		}
		a, ok := busybox.Lookup(name)
		if !ok {
			return command{}, 127, "not found"
		}
		// A program run by path is executed (execve), whatever its class.
		return command{applet: a, class: busybox.Exec, argv: args}, 0, ""
	}
	// A script: with or without "#!/bin/sh", ash runs it with sh.
	sh, _ := busybox.Lookup("sh")
	return command{applet: sh, class: busybox.Exec, argv: append([]string{"/bin/sh", file}, args[1:]...)}, 0, ""
}

// start runs a command where ash would: in this shell (builtin), in its
// place (the last command of sh -c, exec), or in a forked child.
func (s *shell) start(hc interp.HandlerContext, cmd command, place placement) int {
	run := func(p Process, prog string) int {
		stdin := stdinOf(hc)
		if stdin == nil {
			// A shell reading commands from its stdin leaves the commands
			// what it has not read.
			stdin = s.stdin
		}
		e := &busybox.Env{Ctx: p.Context(), Args: cmd.argv, Stdin: stdin, Stdout: hc.Stdout, Stderr: hc.Stderr,
			Environ: s.envOf(hc), Sys: p, Prog: prog}
		e.Exec = func(args, environ []string) (int, error) { return s.execFrom(e, args, environ) }
		code := cmd.applet.Main(e)
		if sig := p.Signaled(); sig != 0 {
			code = 128 + int(sig)
		}
		return code
	}
	if cmd.class == busybox.Builtin && place != ownFork {
		saved := s.proc.Caller().Cwd
		s.proc.Caller().Cwd = hc.Dir
		defer func() { s.proc.Caller().Cwd = saved }()
		return run(s.proc, "")
	}
	target := s.proc
	if place != inPlace {
		target = s.proc.Fork()
	}
	target.Caller().Cwd = hc.Dir
	switch cmd.class {
	case busybox.Exec:
		target.Exec(cmd.argv)
	case busybox.NoExec:
		target.SetComm(path.Base(cmd.argv[0]))
	}
	code := run(target, "")
	if place != inPlace {
		target.Exit(code)
	}
	return code
}

// execFrom is execvp from an applet (env COMMAND): the command replaces
// the applet in its process.
func (s *shell) execFrom(e *busybox.Env, args, environ []string) (int, error) {
	p := e.Sys.(Process)
	cmd, code, _ := s.lookup(expandEnv(environ), p.Caller().Cwd, args)
	if code != 0 {
		return 0, syscall.ENOENT
	}
	if cmd.class == busybox.Exec {
		p.Exec(cmd.argv)
	} else {
		p.SetComm(path.Base(cmd.argv[0]))
	}
	e2 := *e
	e2.Args, e2.Environ, e2.Prog = cmd.argv, environ, ""
	return cmd.applet.Main(&e2), nil
}

func expandEnv(environ []string) expand.Environ { return expand.ListEnviron(environ...) }
