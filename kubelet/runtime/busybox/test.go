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

package busybox

import (
	"io/fs"
	"strconv"
	"strings"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

func init() {
	register("test", Builtin, test)
	register("[", Builtin, test)
}

// testError is a syntax or number error: exit status 2.
type testError string

type tester struct {
	e    *Env
	args []string
	pos  int
}

// test evaluates POSIX test expressions over the container's files; errors
// ("x: bad number", "missing ]") exit 2.
func test(e *Env) (code int) {
	args := e.Args[1:]
	if e.Name() == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			e.Errorf("missing ]")
			return 2
		}
		args = args[:len(args)-1]
	}
	t := &tester{e: e, args: args}
	defer func() {
		if r := recover(); r != nil {
			msg, ok := r.(testError)
			if !ok {
				panic(r)
			}
			e.Errorf("%s", string(msg))
			code = 2
		}
	}()
	if len(args) == 0 {
		return 1
	}
	v := t.oexpr()
	if t.pos < len(t.args) {
		panic(testError(t.args[t.pos] + ": unknown operand"))
	}
	if v {
		return 0
	}
	return 1
}

func (t *tester) peek(off int) (string, bool) {
	if t.pos+off < len(t.args) {
		return t.args[t.pos+off], true
	}
	return "", false
}

func (t *tester) next() string {
	if t.pos >= len(t.args) {
		if t.pos > 0 {
			panic(testError(t.args[t.pos-1] + ": argument expected"))
		}
		panic(testError("argument expected"))
	}
	a := t.args[t.pos]
	t.pos++
	return a
}

func (t *tester) oexpr() bool {
	v := t.aexpr()
	if a, ok := t.peek(0); ok && a == "-o" {
		t.pos++
		return t.oexpr() || v
	}
	return v
}

func (t *tester) aexpr() bool {
	v := t.nexpr()
	if a, ok := t.peek(0); ok && a == "-a" {
		t.pos++
		return t.aexpr() && v
	}
	return v
}

func (t *tester) nexpr() bool {
	if a, ok := t.peek(0); ok && a == "!" {
		if _, more := t.peek(1); more {
			t.pos++
			return !t.nexpr()
		}
	}
	return t.primary()
}

var binaryOps = map[string]bool{"=": true, "==": true, "!=": true, "<": true, ">": true, "-eq": true, "-ne": true,
	"-gt": true, "-ge": true, "-lt": true, "-le": true, "-nt": true, "-ot": true, "-ef": true}

func (t *tester) primary() bool {
	a := t.next()
	if op, ok := t.peek(0); ok && binaryOps[op] {
		t.pos++
		return t.binary(a, op, t.next())
	}
	if a == "(" {
		v := t.oexpr()
		if c := t.next(); c != ")" {
			panic(testError("closing paren expected"))
		}
		return v
	}
	if len(a) == 2 && a[0] == '-' && strings.IndexByte("bcdefghknprsStuwxzLO G", a[1]) >= 0 {
		if _, ok := t.peek(0); ok {
			return t.unary(a[1], t.next())
		}
	}
	return a != ""
}

func (t *tester) number(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		panic(testError(s + ": bad number"))
	}
	return n
}

func (t *tester) binary(a, op, b string) bool {
	switch op {
	case "=", "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case ">":
		return a > b
	case "-nt", "-ot", "-ef":
		fa, ea := t.e.Sys.FS().Stat(t.e.Sys.Caller(), a)
		fb, eb := t.e.Sys.FS().Stat(t.e.Sys.Caller(), b)
		if ea != nil || eb != nil {
			return op == "-nt" && ea == nil || op == "-ot" && eb == nil
		}
		switch op {
		case "-nt":
			return fa.ModTime().After(fb.ModTime())
		case "-ot":
			return fa.ModTime().Before(fb.ModTime())
		}
		return fa.Sys().(*vfs.Stat).Ino == fb.Sys().(*vfs.Stat).Ino
	}
	x, y := t.number(a), t.number(b)
	switch op {
	case "-eq":
		return x == y
	case "-ne":
		return x != y
	case "-gt":
		return x > y
	case "-ge":
		return x >= y
	case "-lt":
		return x < y
	}
	return x <= y
}

func (t *tester) unary(op byte, arg string) bool {
	switch op {
	case 'n':
		return arg != ""
	case 'z':
		return arg == ""
	case 't':
		tty, _ := t.e.Sys.Terminal()
		return arg == "1" && tty
	}
	fsys, c := t.e.Sys.FS(), t.e.Sys.Caller()
	var info fs.FileInfo
	var err error
	if op == 'h' || op == 'L' {
		info, err = fsys.Lstat(c, arg)
	} else {
		info, err = fsys.Stat(c, arg)
	}
	if err != nil {
		return false
	}
	m := info.Mode()
	switch op {
	case 'e':
		return true
	case 'f':
		return m.IsRegular()
	case 'd':
		return m.IsDir()
	case 'h', 'L':
		return m&fs.ModeSymlink != 0
	case 'c':
		return m&fs.ModeCharDevice != 0
	case 'b':
		return m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0
	case 'p':
		return m&fs.ModeNamedPipe != 0
	case 'S':
		return m&fs.ModeSocket != 0
	case 's':
		return info.Size() > 0
	case 'u':
		return m&fs.ModeSetuid != 0
	case 'g':
		return m&fs.ModeSetgid != 0
	case 'k':
		return m&fs.ModeSticky != 0
	case 'r':
		return fsys.Access(c, arg, 4) == nil
	case 'w':
		return fsys.Access(c, arg, 2) == nil
	case 'x':
		return fsys.Access(c, arg, 1) == nil
	case 'O':
		return info.Sys().(*vfs.Stat).UID == c.UID
	case 'G':
		return info.Sys().(*vfs.Stat).GID == c.GID
	}
	return false
}
