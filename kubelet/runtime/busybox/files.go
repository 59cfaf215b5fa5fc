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
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

func init() {
	register("cat", Exec, cat)
	register("mkdir", NoExec, mkdir)
	register("touch", NoExec, touch)
	register("rm", NoExec, rm)
}

// open opens an operand for reading; "-" is stdin.
func (e *Env) open(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(e.Stdin), nil
	}
	f, err := e.Sys.FS().Open(e.Sys.Caller(), name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func cat(e *Env) int {
	o, ok := e.getopt("nbvteA")
	if !ok {
		return 1
	}
	files := o.Operands
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := 0
	line := 0
	for _, name := range files {
		r, err := e.open(name)
		if err != nil {
			e.Errorf("can't open '%s': %s", name, strerr(err))
			code = 1
			continue
		}
		if o.Has('n') || o.Has('b') {
			sc := bufio.NewReader(r)
			for {
				l, err := sc.ReadString('\n')
				if l != "" {
					if o.Has('b') && (l == "\n") {
						fmt.Fprint(e.Stdout, l)
					} else {
						line++
						fmt.Fprintf(e.Stdout, "%6d\t%s", line, l)
					}
				}
				if err != nil {
					if !errors.Is(err, io.EOF) {
						e.Errorf("read error: %s", strerr(err))
						code = 1
					}
					break
				}
			}
		} else if _, err := io.Copy(e.Stdout, readerOnly{r}); err != nil {
			e.Errorf("read error: %s", strerr(err))
			code = 1
		}
		r.Close()
	}
	return code
}

// readerOnly hides WriterTo/ReaderFrom so io.Copy reads in the usual way.
type readerOnly struct{ io.Reader }

func strerr(err error) string { return vfs.Strerror(err) }

func mkdir(e *Env) int {
	o, ok := e.getopt("m:pv")
	if !ok {
		return 1
	}
	if len(o.Operands) == 0 {
		return e.Usage()
	}
	perm := fs.FileMode(0o777)
	if o.Has('m') {
		var m uint32
		if _, err := fmt.Sscanf(o.Arg['m'], "%o", &m); err != nil {
			e.Errorf("invalid mode '%s'", o.Arg['m'])
			return 1
		}
		perm = fs.FileMode(m)
	}
	code := 0
	fsys, c := e.Sys.FS(), e.Sys.Caller()
	for _, d := range o.Operands {
		if o.Has('p') {
			cur := ""
			if strings.HasPrefix(d, "/") {
				cur = "/"
			}
			for _, part := range strings.Split(d, "/") {
				if part == "" {
					continue
				}
				cur = path.Join(cur, part)
				err := fsys.Mkdir(c, cur, perm)
				if err != nil {
					if info, serr := fsys.Stat(c, cur); serr == nil && info.IsDir() {
						continue
					}
					e.Errorf("can't create directory '%s': %s", cur, strerr(err))
					code = 1
					break
				}
				if o.Has('v') {
					fmt.Fprintf(e.Stdout, "created directory: '%s'\n", cur)
				}
			}
			continue
		}
		if err := fsys.Mkdir(c, d, perm); err != nil {
			e.Errorf("can't create directory '%s': %s", d, strerr(err))
			code = 1
		} else if o.Has('v') {
			fmt.Fprintf(e.Stdout, "created directory: '%s'\n", d)
		}
	}
	return code
}

func touch(e *Env) int {
	o, ok := e.getopt("cd:t:r:hm")
	if !ok {
		return 1
	}
	if len(o.Operands) == 0 {
		return e.Usage()
	}
	fsys, c := e.Sys.FS(), e.Sys.Caller()
	now := e.Sys.Now()
	code := 0
	for _, name := range o.Operands {
		if err := fsys.Chtimes(c, name, now); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) || o.Has('c') {
			if !o.Has('c') {
				e.PathError(name, err)
				code = 1
			}
			continue
		}
		f, err := fsys.Open(c, name, os.O_WRONLY|os.O_CREATE, 0o666)
		if err != nil {
			e.PathError(name, err)
			code = 1
			continue
		}
		f.Close()
	}
	return code
}

func rm(e *Env) int {
	o, ok := e.getopt("fiRrv")
	if !ok {
		return 1
	}
	force, recursive := o.Has('f'), o.Has('r') || o.Has('R')
	if len(o.Operands) == 0 {
		if force {
			return 0
		}
		return e.Usage()
	}
	code := 0
	for _, name := range o.Operands {
		if base := path.Base(name); base == "." || base == ".." {
			e.Errorf("can't remove '.' or '..'")
			code = 1
			continue
		}
		if !e.remove(name, force, recursive, o.Has('v')) {
			code = 1
		}
	}
	return code
}

func (e *Env) remove(name string, force, recursive, verbose bool) bool {
	fsys, c := e.Sys.FS(), e.Sys.Caller()
	info, err := fsys.Lstat(c, name)
	if err != nil {
		if force && errors.Is(err, fs.ErrNotExist) {
			return true
		}
		e.Errorf("can't remove '%s': %s", name, strerr(err))
		return false
	}
	if info.IsDir() {
		if !recursive {
			e.Errorf("'%s' is a directory", name)
			return false
		}
		entries, err := fsys.ReadDir(c, name)
		if err != nil {
			e.Errorf("can't remove '%s': %s", name, strerr(err))
			return false
		}
		ok := true
		for _, de := range entries {
			ok = e.remove(strings.TrimSuffix(name, "/")+"/"+de.Name(), force, recursive, verbose) && ok
		}
		if !ok {
			return false
		}
		if err := fsys.Remove(c, name, true); err != nil {
			e.Errorf("can't remove '%s': %s", name, strerr(err))
			return false
		}
	} else if err := fsys.Remove(c, name, false); err != nil {
		e.Errorf("can't remove '%s': %s", name, strerr(err))
		return false
	}
	if verbose {
		fmt.Fprintf(e.Stdout, "removed '%s'\n", name)
	}
	return true
}

func init() { register("tee", Exec, tee) }

// tee copies stdin to stdout and to each file (-a appends).
func tee(e *Env) int {
	o, ok := e.getopt("ai")
	if !ok {
		return 1
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if o.Has('a') {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	ws := []io.Writer{e.Stdout}
	code := 0
	for _, name := range o.Operands {
		f, err := e.Sys.FS().Open(e.Sys.Caller(), name, flag, 0o666)
		if err != nil {
			e.PathError(name, err)
			code = 1
			continue
		}
		defer f.Close()
		ws = append(ws, f)
	}
	if _, err := io.Copy(io.MultiWriter(ws...), readerOnly{e.Stdin}); err != nil {
		code = 1
	}
	return code
}
