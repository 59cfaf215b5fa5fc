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
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/interp"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
)

// builtin runs an ash builtin the shell answers itself (see answered).
func (s *shell) builtin(ctx context.Context, hc interp.HandlerContext, name string, args []string) int {
	out, errOut := hc.Stdout, hc.Stderr
	switch name {
	case "error":
		// args: the builtin's name and ash's message ("sh: cd: line N: ...").
		fmt.Fprintf(errOut, "sh: %s: %s%s\n", args[0], s.lineTag(hc), args[1])
		return 2
	case "type":
		code := 0
		for _, n := range args {
			if d := s.describe(hc, n, true); d != "" {
				fmt.Fprintln(out, d)
			} else {
				fmt.Fprintf(out, "%s: not found\n", n)
				code = 127
			}
		}
		return code
	case "command":
		if len(args) > 0 && (args[0] == "-v" || args[0] == "-V") {
			// ash describes the first name only.
			if len(args) < 2 {
				return 0
			}
			d := s.describe(hc, args[1], args[0] == "-V")
			if d == "" {
				return 127
			}
			fmt.Fprintln(out, d)
			return 0
		}
		if len(args) > 0 && args[0] == "-p" {
			args = args[1:]
		}
		if len(args) == 0 {
			return 0
		}
		if err := hc.Builtin(ctx, args); err == nil || slices.Contains(ashBuiltins, args[0]) {
			return exitCode(err)
		}
		return s.dispatch(ctx, hc, args)
	case "hash", "jobs":
		return 0
	case "fg", "bg":
		fmt.Fprintf(errOut, "sh: %s: %sNo current job\n", name, s.lineTag(hc))
		return 2
	case "umask":
		c := s.proc.Caller()
		if len(args) == 0 {
			fmt.Fprintf(out, "%04o\n", uint32(c.Umask))
			return 0
		}
		v, err := strconv.ParseUint(args[0], 8, 32)
		if err != nil || v > 0o777 {
			fmt.Fprintf(errOut, "sh: umask: %sIllegal mode: %s\n", s.lineTag(hc), args[0])
			return 2
		}
		c.Umask = fs.FileMode(v)
		return 0
	case "ulimit":
		return ulimit(out, args)
	case "help":
		s.help(hc)
		return 0
	}
	// kill, test, [, pwd, printf, echo: the applets, run as ash's builtins
	// (their errors start with "sh: ").
	a, _ := busybox.Lookup(name)
	cmd := command{applet: a, class: busybox.Builtin, argv: append([]string{name}, args...)}
	if name == "pwd" {
		fmt.Fprintln(out, hc.Dir)
		return 0
	}
	p := s.place.of(hc.Pos)
	if p == inPlace {
		p = inShell
	}
	return s.startBuiltin(hc, cmd, p)
}

func (s *shell) startBuiltin(hc interp.HandlerContext, cmd command, place placement) int {
	inner := cmd.applet
	cmd.applet = &busybox.Applet{Name: inner.Name, Class: busybox.Builtin, Main: func(e *busybox.Env) int {
		e.Prog = "sh"
		return inner.Main(e)
	}}
	return s.start(hc, cmd, place)
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if es, ok := err.(interp.ExitStatus); ok {
		return int(es)
	}
	return 1
}

// lineTag is "line N: " as ash puts it in a builtin's error when it runs a
// script (-c counts from 0, a script read from stdin from 1); an
// interactive shell has none.
func (s *shell) lineTag(hc interp.HandlerContext) string {
	if s.interactive {
		return ""
	}
	line := int(hc.Pos.Line())
	if s.fromC {
		line--
	}
	return fmt.Sprintf("line %d: ", max(line, 0))
}

// describe is type's (verbose) or command -v's answer for a name, or "".
func (s *shell) describe(hc interp.HandlerContext, name string, verbose bool) string {
	switch {
	case s.runner != nil && s.runner.Funcs[name] != nil:
		if verbose {
			return name + " is a function"
		}
		return name
	case slices.Contains(ashBuiltins, name):
		if verbose {
			return name + " is a shell builtin"
		}
		return name
	}
	if _, ok := busybox.Lookup(name); ok && !strings.Contains(name, "/") {
		if verbose {
			return name + " is " + name
		}
		return name
	}
	for _, d := range strings.Split(hc.Env.Get("PATH").String(), ":") {
		cand := strings.TrimSuffix(d, "/") + "/" + name
		if strings.Contains(name, "/") {
			cand = name
		}
		c := *s.proc.Caller()
		c.Cwd = hc.Dir
		if _, err := s.proc.FS().Executable(&c, cand); err == nil {
			if verbose {
				return name + " is " + cand
			}
			return cand
		}
		if strings.Contains(name, "/") {
			break
		}
	}
	return ""
}

// help lists the builtins and the applets as ash does: tab-indented,
// wrapped once a line passes 60 columns.
func (s *shell) help(hc interp.HandlerContext) {
	var b strings.Builder
	b.WriteString("Built-in commands:\n------------------\n")
	col := 0
	for _, n := range append(append([]string(nil), ashBuiltins...), busybox.All()...) {
		sep := " "
		if col == 0 {
			sep = "\t"
		}
		b.WriteString(sep + n)
		col += 1 + len(n)
		if col > 60 {
			b.WriteString("\n")
			col = 0
		}
	}
	b.WriteString("\n")
	fmt.Fprint(hc.Stdout, b.String())
}

// ulimit answers with the limits a container of the kind e2e's node has
// (the node's own, which containerd passes on).
func ulimit(out interface{ Write([]byte) (int, error) }, args []string) int {
	limits := []struct {
		flag, desc, value string
	}{
		{"c", "core file size (blocks)", "unlimited"},
		{"d", "data seg size (kb)", "unlimited"},
		{"e", "scheduling priority", "0"},
		{"f", "file size (blocks)", "unlimited"},
		{"i", "pending signals", "96363"},
		{"l", "max locked memory (kb)", "8192"},
		{"m", "max memory size (kb)", "unlimited"},
		{"n", "open files", "20000"},
		{"q", "POSIX message queues (bytes)", "819200"},
		{"r", "real-time priority", "0"},
		{"s", "stack size (kb)", "8192"},
		{"t", "cpu time (seconds)", "unlimited"},
		{"u", "max user processes", "96363"},
		{"v", "virtual memory (kb)", "unlimited"},
		{"x", "file locks", "unlimited"},
	}
	want := "f"
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			want = strings.TrimLeft(a, "-HS")
		}
	}
	for _, l := range limits {
		if want == "a" {
			fmt.Fprintf(out, "%-32s(-%s) %s\n", l.desc, l.flag, l.value)
		} else if strings.Contains(want, l.flag) {
			fmt.Fprintln(out, l.value)
		}
	}
	return 0
}
