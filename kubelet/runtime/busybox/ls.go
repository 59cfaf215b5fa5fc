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
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

func init() { register("ls", NoExec, ls) }

// lsEntry is one file to show: its name as given or as listed, and its
// lstat (or stat with -L).
type lsEntry struct {
	name string // what is printed
	path string // how to reach it
	info fs.FileInfo
}

type lsState struct {
	e     *Env
	o     *opts
	width int
	tty   bool
	now   time.Time
	code  int
}

// ls mirrors coreutils/ls.c of busybox 1.35: one name per line unless
// stdout is a terminal (then columns as wide as the longest name plus two,
// in the terminal's width less one); -l prints "%s %4u %-8s %-8s %9s %s %s".
func ls(e *Env) int {
	o, ok := e.getopt("1AaCxdLHRFplinshrSXvctuw:", "full-time", "group-directories-first", "color=")
	if !ok {
		return 1
	}
	tty, width := e.Sys.Terminal()
	st := &lsState{e: e, o: o, width: width - 1, tty: tty, now: e.Sys.Now()}
	if o.Has('w') {
		fmt.Sscanf(o.Arg['w'], "%d", &st.width)
	}
	operands := o.Operands
	if len(operands) == 0 {
		operands = []string{"."}
	}
	var files, dirs []lsEntry
	for _, p := range operands {
		info, err := st.stat(p, o.Has('L') || o.Has('H'))
		if err != nil {
			e.PathError(p, err)
			st.code = 1
			continue
		}
		ent := lsEntry{name: p, path: p, info: info}
		if info.IsDir() && !o.Has('d') {
			dirs = append(dirs, ent)
		} else {
			files = append(files, ent)
		}
	}
	st.sort(files)
	st.sort(dirs)
	if len(files) > 0 {
		st.show(files)
	}
	for i, d := range dirs {
		if len(operands) > 1 || o.Has('R') {
			if i > 0 || len(files) > 0 {
				fmt.Fprintln(e.Stdout)
			}
			fmt.Fprintf(e.Stdout, "%s:\n", d.name)
		}
		st.listDir(d)
	}
	return st.code
}

func (st *lsState) stat(p string, follow bool) (fs.FileInfo, error) {
	if follow {
		return st.e.Sys.FS().Stat(st.e.Sys.Caller(), p)
	}
	return st.e.Sys.FS().Lstat(st.e.Sys.Caller(), p)
}

func (st *lsState) listDir(d lsEntry) {
	entries, err := st.e.Sys.FS().ReadDir(st.e.Sys.Caller(), d.path)
	if err != nil {
		st.e.PathError(d.path, err)
		st.code = 1
		return
	}
	var list []lsEntry
	if st.o.Has('a') {
		for _, dot := range []string{".", ".."} {
			if info, err := st.stat(path.Join(d.path, dot), false); err == nil {
				list = append(list, lsEntry{name: dot, path: path.Join(d.path, dot), info: info})
			}
		}
	}
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), ".") && !st.o.Has('a') && !st.o.Has('A') {
			continue
		}
		p := strings.TrimSuffix(d.path, "/") + "/" + de.Name()
		info, err := de.Info()
		if st.o.Has('L') {
			if fi, err2 := st.stat(p, true); err2 == nil {
				info, err = fi, nil
			}
		}
		if err != nil {
			continue
		}
		list = append(list, lsEntry{name: de.Name(), path: p, info: info})
	}
	st.sort(list)
	if st.o.Has('l') || st.o.Has('s') {
		var blocks int64
		for _, ent := range list {
			blocks += ent.info.Sys().(*vfs.Stat).Blocks
		}
		fmt.Fprintf(st.e.Stdout, "total %d\n", blocks/2)
	}
	st.show(list)
	if st.o.Has('R') {
		for _, ent := range list {
			if ent.info.IsDir() && ent.name != "." && ent.name != ".." {
				fmt.Fprintf(st.e.Stdout, "\n%s:\n", ent.path)
				st.listDir(ent)
			}
		}
	}
}

func (st *lsState) sort(list []lsEntry) {
	less := func(a, b lsEntry) bool { return a.name < b.name }
	switch {
	case st.o.Has('S'):
		less = func(a, b lsEntry) bool { return a.info.Size() > b.info.Size() }
	case st.o.Has('t'):
		less = func(a, b lsEntry) bool { return a.info.ModTime().After(b.info.ModTime()) }
	}
	sort.SliceStable(list, func(i, j int) bool {
		if st.o.Has('r') {
			return less(list[j], list[i])
		}
		return less(list[i], list[j])
	})
}

// decorated is the name with -F or -p's indicator.
func (st *lsState) decorated(ent lsEntry) string {
	m := ent.info.Mode()
	switch {
	case st.o.Has('F') && m&fs.ModeSymlink != 0:
		return ent.name + "@"
	case (st.o.Has('F') || st.o.Has('p')) && m.IsDir():
		return ent.name + "/"
	case st.o.Has('F') && m.IsRegular() && m&0o111 != 0:
		return ent.name + "*"
	}
	return ent.name
}

func (st *lsState) show(list []lsEntry) {
	w := st.e.Stdout
	if st.o.Has('l') || st.o.Has('1') || !st.tty && !st.o.Has('C') && !st.o.Has('x') {
		for _, ent := range list {
			fmt.Fprintln(w, st.prefix(ent)+st.line(ent))
		}
		return
	}
	colWidth := 0
	for _, ent := range list {
		colWidth = max(colWidth, len(st.decorated(ent)))
	}
	colWidth += 2
	if st.o.Has('i') {
		colWidth += 8
	}
	if st.o.Has('s') {
		colWidth += 5
	}
	ncols := max(1, st.width/colWidth)
	nrows := (len(list) + ncols - 1) / ncols
	for row := 0; row < nrows; row++ {
		var b strings.Builder
		col := 0
		for nc := 0; nc < ncols; nc++ {
			i := nc*nrows + row
			if st.o.Has('x') {
				i = row*ncols + nc
			}
			if i >= len(list) {
				continue
			}
			if nc > 0 {
				b.WriteString(strings.Repeat(" ", max(0, nc*colWidth-col)))
				col = nc * colWidth
			}
			s := st.prefix(list[i]) + st.decorated(list[i])
			b.WriteString(s)
			col += len(s)
		}
		fmt.Fprintln(w, b.String())
	}
}

func (st *lsState) prefix(ent lsEntry) string {
	s := ""
	if st.o.Has('i') {
		s += fmt.Sprintf("%8d ", ent.info.Sys().(*vfs.Stat).Ino)
	}
	if st.o.Has('s') {
		s += fmt.Sprintf("%6d ", ent.info.Sys().(*vfs.Stat).Blocks/2)
	}
	return s
}

// line is one entry in -l format, or just its name.
func (st *lsState) line(ent lsEntry) string {
	if !st.o.Has('l') {
		return st.decorated(ent)
	}
	sys := ent.info.Sys().(*vfs.Stat)
	user, group := fmt.Sprint(sys.UID), fmt.Sprint(sys.GID)
	if !st.o.Has('n') {
		user, group = st.e.userName(sys.UID), st.e.groupName(sys.GID)
	}
	size := fmt.Sprint(ent.info.Size())
	switch {
	case ent.info.Mode()&fs.ModeDevice != 0:
		size = fmt.Sprintf("%4d,%4d", sys.Major, sys.Minor)
	case st.o.Has('h'):
		size = humanSize(ent.info.Size())
	}
	// Sizes are %9 wide, human-readable ones %7 (HUMAN_READABLE_MAX_WIDTH).
	width := 9
	if st.o.Has('h') && ent.info.Mode()&fs.ModeDevice == 0 {
		width = 7
	}
	s := fmt.Sprintf("%s %4d %-8s %-8s %*s %s %s", modeString(ent.info.Mode()), sys.Nlink, user, group, width, size, st.date(ent.info.ModTime()), st.decorated(ent))
	if ent.info.Mode()&fs.ModeSymlink != 0 {
		if target, err := st.e.Sys.FS().Readlink(st.e.Sys.Caller(), ent.path); err == nil {
			s += " -> " + target
		}
	}
	return s
}

// date is ls -l's time column: "Mon dd hh:mm" for files changed in the last
// six months (and up to 15 minutes ahead), "Mon dd  yyyy" otherwise.
func (st *lsState) date(t time.Time) string {
	t = t.UTC()
	if st.o.Long["full-time"] != "" || hasLong(st.o, "full-time") {
		return t.Format("2006-01-02 15:04:05.000000000 -0700")
	}
	age := st.now.Sub(t)
	if age < 365*24*time.Hour/2 && age > -15*time.Minute {
		return strftime("%b %e %H:%M", t)
	}
	return strftime("%b %e  %Y", t)
}

func hasLong(o *opts, name string) bool {
	_, ok := o.Long[name]
	return ok
}

// modeString is the ten-character mode of ls -l (bb_mode_string).
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	if m&fs.ModeSetuid != 0 {
		b[3] = "Ss"[b2i(b[3] == 'x')]
	}
	if m&fs.ModeSetgid != 0 {
		b[6] = "Ss"[b2i(b[6] == 'x')]
	}
	if m&fs.ModeSticky != 0 {
		b[9] = "Tt"[b2i(b[9] == 'x')]
	}
	return string(b)
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// humanSize is make_human_readable_str(size, 1, 0): bytes below 1024, else
// one decimal and a K/M/G suffix.
func humanSize(n int64) string {
	if n < 1024 {
		return fmt.Sprint(n)
	}
	v := float64(n)
	units := "KMGTPE"
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f%c", v, units[i])
}
