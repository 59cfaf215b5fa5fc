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
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
)

// defaultPath is runc's PATH for a process whose environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// program is an executable found in a container: a busybox applet and the
// argv it gets.
type program struct {
	applet *busybox.Applet
	argv   []string
}

// resolve finds args[0] as runc's exec does (PATH search when it has no
// slash), and wording its errors as runc does.
func resolve(p *Process, args, env []string) (program, error) {
	if len(args) == 0 {
		return program{}, errors.New("exec: no command")
	}
	name := args[0]
	file := name
	if !strings.Contains(name, "/") {
		pathEnv := defaultPath
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == "PATH" {
				pathEnv = v
			}
		}
		file = ""
		for _, dir := range strings.Split(pathEnv, ":") {
			if dir == "" {
				dir = "."
			}
			cand := path.Join(dir, name)
			if _, err := p.FS().Executable(p.Caller(), cand); err == nil {
				file = cand
				break
			}
		}
		if file == "" {
			return program{}, fmt.Errorf("exec: %q: executable file not found in $PATH", name)
		}
	}
	prog, err := p.FS().Executable(p.Caller(), file)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return program{}, fmt.Errorf("exec: %q: stat %s: no such file or directory", name, file)
	case err != nil:
		return program{}, fmt.Errorf("exec: %q: permission denied", name)
	case prog == "busybox":
		argv := args
		applet := path.Base(args[0])
		if applet == "busybox" && len(args) > 1 {
			argv, applet = args[1:], path.Base(args[1])
		}
		a, ok := busybox.Lookup(applet)
		if !ok {
			a = &busybox.Applet{Name: applet, Class: busybox.Exec, Main: func(e *busybox.Env) int {
				fmt.Fprintf(e.Stderr, "sh: %s: not found\n", applet)
				return 127
			}}
		}
		return program{applet: a, argv: argv}, nil
	}
	// A script: its #! line names the interpreter.
	f, err := p.FS().Open(p.Caller(), file, os.O_RDONLY, 0)
	if err != nil {
		return program{}, fmt.Errorf("exec: %q: permission denied", name)
	}
	line, _ := bufio.NewReader(f).ReadString('\n')
	f.Close()
	if !strings.HasPrefix(line, "#!") {
		return program{}, fmt.Errorf("exec: %q: exec format error", name)
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		return program{}, fmt.Errorf("exec: %q: exec format error", name)
	}
	interp, err := resolve(p, []string{fields[0]}, env)
	if err != nil {
		return program{}, fmt.Errorf("exec: %q: no such file or directory", name)
	}
	argv := append(append(append([]string{fields[0]}, fields[1:]...), file), args[1:]...)
	return program{applet: interp.applet, argv: argv}, nil
}

// run runs the program as p (whose command line becomes argv) and returns
// its exit code.
func (prog program) run(p *Process, env []string, stdin io.Reader, stdout, stderr io.Writer) int {
	p.Exec(prog.argv)
	e := &busybox.Env{Ctx: p.ctx, Args: prog.argv, Stdin: stdin, Stdout: stdout, Stderr: stderr, Environ: env, Sys: p}
	e.Exec = func(args, environ []string) (int, error) {
		next, err := resolve(p, args, environ)
		if err != nil {
			return 0, syscall.ENOENT
		}
		return next.run(p, environ, stdin, stdout, stderr), nil
	}
	code := prog.applet.Main(e)
	if sig := p.Signaled(); sig != 0 {
		code = 128 + int(sig)
	}
	return code
}
