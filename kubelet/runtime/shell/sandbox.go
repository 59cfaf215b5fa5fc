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
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// The interpreter reaches files only through these handlers, which answer
// from the container's vfs: redirections (OpenHandler), globbing
// (ReadDirHandler2), test and cd (StatHandler, AccessHandler). Commands go
// to the exec handler (dispatch.go), which never starts a host process.

// caller is the process's view for a file operation made by the shell in
// directory dir (the interpreter's current directory).
func (s *shell) caller(ctx context.Context) *vfs.Caller {
	c := *s.proc.Caller()
	if hc, ok := handlerCtx(ctx); ok && hc.Dir != "" {
		c.Cwd = hc.Dir
	}
	return &c
}

// handlerCtx is interp.HandlerCtx without its panic when ctx has none.
func handlerCtx(ctx context.Context) (hc interp.HandlerContext, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return interp.HandlerCtx(ctx), true
}

func (s *shell) open(ctx context.Context, name string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	hc, _ := handlerCtx(ctx)
	// /dev/stdin, /dev/stdout, /dev/stderr and /dev/fd/N are the shell's
	// own streams (the kernel's /proc/self/fd links).
	switch name {
	case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return writeOnly{hc.Stdout}, nil
	case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2":
		return writeOnly{hc.Stderr}, nil
	case "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0":
		if in := stdinOf(hc); in != nil {
			return readOnly{in}, nil
		}
	}
	f, err := s.proc.FS().Open(s.caller(ctx), name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

type writeOnly struct{ io.Writer }

func (writeOnly) Read([]byte) (int, error) { return 0, io.EOF }
func (writeOnly) Close() error             { return nil }

type readOnly struct{ io.Reader }

func (readOnly) Write(p []byte) (int, error) { return 0, os.ErrPermission }
func (readOnly) Close() error                { return nil }

func (s *shell) stat(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	if follow {
		return s.proc.FS().Stat(s.caller(ctx), name)
	}
	return s.proc.FS().Lstat(s.caller(ctx), name)
}

func (s *shell) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	return s.proc.FS().ReadDir(s.caller(ctx), name)
}

func (s *shell) access(ctx context.Context, name string, mode interp.AccessMode) error {
	return s.proc.FS().Access(s.caller(ctx), name, uint32(mode))
}

// stdinOf is the stdin a command started by the shell gets: the
// interpreter's (a pipe, a redirection, the shell's own input), or nil when
// it has none.
func stdinOf(hc interp.HandlerContext) io.Reader {
	if f, ok := hc.Stdin.(*os.File); ok && f == nil || hc.Stdin == nil {
		return nil
	}
	return hc.Stdin
}

// environ is the shell's initial environment: the process's, plus the
// values only the shell knows ($$, $PPID), which the interpreter would
// otherwise take from the host process (os.Getpid). Names starting with
// "\x00" cannot be typed, so no script can set or list them.
type environ struct {
	vars  []string
	extra map[string]string
}

func (e *environ) Get(name string) expand.Variable {
	if v, ok := e.extra[name]; ok {
		return expand.Variable{Set: true, Kind: expand.String, Str: v, ReadOnly: true}
	}
	switch name {
	case "UID", "EUID", "GID":
		// bash's variables, which the interpreter would fill from the host
		// process (os.Getuid); ash has none of them.
		if !e.has(name) {
			return expand.Variable{Set: true, Kind: expand.String}
		}
	}
	for i := len(e.vars) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(e.vars[i], "="); k == name {
			return expand.Variable{Set: true, Exported: true, Kind: expand.String, Str: v}
		}
	}
	return expand.Variable{}
}

func (e *environ) has(name string) bool {
	for _, kv := range e.vars {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			return true
		}
	}
	return false
}

func (e *environ) Each(fn func(string, expand.Variable) bool) {
	for _, kv := range e.vars {
		k, v, _ := strings.Cut(kv, "=")
		if !fn(k, expand.Variable{Set: true, Exported: true, Kind: expand.String, Str: v}) {
			return
		}
	}
}

const (
	pidVar  = "\x00pid"
	ppidVar = "\x00ppid"
)

// exported lists the exported variables of the interpreter's environment
// in the order ash's variable table (39 buckets, new names first in their
// bucket) hands them to a command it runs: what `env` prints.
func (s *shell) exported(env expand.Environ) []string {
	seen := map[string]string{}
	env.Each(func(name string, vr expand.Variable) bool {
		if strings.HasPrefix(name, "\x00") {
			return true
		}
		// A name that came exported from the environment stays exported in
		// ash even when the interpreter resets it (PWD, HOME).
		if (vr.Exported || s.inherited[name]) && vr.IsSet() && vr.Kind == expand.String {
			seen[name] = vr.Str
		} else {
			delete(seen, name)
		}
		return true
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if ha, hb := ashHash(a), ashHash(b); ha != hb {
			return ha < hb
		}
		return s.order(a) > s.order(b)
	})
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n+"="+seen[n])
	}
	return out
}

// ashHash is ash's hashvar: the first byte times 16 plus every byte of the
// name, modulo VTABSIZE (39).
func ashHash(name string) int {
	if name == "" {
		return 0
	}
	h := int(name[0]) << 4
	for i := 0; i < len(name); i++ {
		h += int(name[i])
	}
	return h % 39
}

// order is when a name entered ash's table: its built-in variables first
// (varinit), then the environment in order, then anything set later.
func (s *shell) order(name string) int {
	if i, ok := s.born[name]; ok {
		return i
	}
	s.born[name] = len(s.born)
	return s.born[name]
}

// ashBuiltinVars are ash's varinit table in order (shell/ash.c).
var ashBuiltinVars = []string{"IFS", "MAIL", "MAILPATH", "PATH", "PS1", "PS2", "PS4", "OPTIND", "LINENO", "FUNCNAME", "HISTFILE", "HISTSIZE", "RANDOM", "SECONDS", "TMOUT"}

// prompt expands PS1 as ash does with FEATURE_EDITING_FANCY_PROMPT for the
// escapes its default ('\w \$ ') uses.
func prompt(ps1, dir, home string, uid int) string {
	var b strings.Builder
	for i := 0; i < len(ps1); i++ {
		c := ps1[i]
		if c != '\\' || i+1 == len(ps1) {
			b.WriteByte(c)
			continue
		}
		i++
		switch ps1[i] {
		case 'w':
			if home != "" && home != "/" && (dir == home || strings.HasPrefix(dir, home+"/")) {
				b.WriteString("~" + dir[len(home):])
			} else {
				b.WriteString(dir)
			}
		case 'W':
			b.WriteString(path.Base(dir))
		case '$':
			if uid == 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('$')
			}
		case 'u':
			b.WriteString(strconv.Itoa(uid))
		case '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(ps1[i])
		}
	}
	return b.String()
}
