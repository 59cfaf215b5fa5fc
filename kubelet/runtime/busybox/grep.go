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
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

func init() { register("grep", Exec, grep) }

type grepState struct {
	e        *Env
	o        *opts
	res      []*regexp.Regexp
	prefix   bool
	matched  bool
	listed   bool
	maxCount int
	before   int
	after    int
}

// grep: exit 0 when a line matched, 1 when none did, 2 on an error
// (without -s and -q; a directory operand is skipped silently, as
// busybox's grep does without -r).
func grep(e *Env) int {
	o, ok := e.getopt("HhnlLoqvsrRiwxFEzcm:A:B:C:e:f:")
	if !ok {
		return 2
	}
	patterns := o.Lists['e']
	for _, f := range o.Lists['f'] {
		data, err := e.readFile(f)
		if err != nil {
			e.PathError(f, err)
			return 2
		}
		patterns = append(patterns, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	operands := o.Operands
	if !o.Has('e') && !o.Has('f') {
		if len(operands) == 0 {
			e.Usage()
			return 2
		}
		patterns = strings.Split(operands[0], "\n")
		operands = operands[1:]
	}
	st := &grepState{e: e, o: o, maxCount: -1}
	for _, p := range patterns {
		re, err := compilePattern(p, o)
		if err != nil {
			e.Errorf("bad regex '%s': %s", p, err)
			return 2
		}
		st.res = append(st.res, re)
	}
	if o.Has('m') {
		st.maxCount, _ = strconv.Atoi(o.Arg['m'])
	}
	if o.Has('C') {
		st.before, _ = strconv.Atoi(o.Arg['C'])
		st.after = st.before
	}
	if o.Has('A') {
		st.after, _ = strconv.Atoi(o.Arg['A'])
	}
	if o.Has('B') {
		st.before, _ = strconv.Atoi(o.Arg['B'])
	}
	recursive := o.Has('r') || o.Has('R')
	if len(operands) == 0 {
		operands = []string{"-"}
		if recursive {
			operands = []string{"."}
		}
	}
	st.prefix = (len(operands) > 1 || recursive) && !o.Has('h') || o.Has('H')
	code := 0
	for _, name := range operands {
		if !st.file(name, recursive) {
			code = 2
		}
	}
	if o.Has('L') {
		st.matched = st.listed
	}
	switch {
	case code == 2 && !(o.Has('q') && st.matched):
		return 2
	case st.matched:
		return 0
	}
	return 1
}

func (st *grepState) file(name string, recursive bool) bool {
	e := st.e
	if name != "-" {
		info, err := e.Sys.FS().Stat(e.Sys.Caller(), name)
		if err == nil && info.IsDir() {
			if !recursive {
				return true
			}
			entries, err := e.Sys.FS().ReadDir(e.Sys.Caller(), name)
			if err != nil {
				return true
			}
			ok := true
			for _, de := range entries {
				ok = st.file(strings.TrimSuffix(name, "/")+"/"+de.Name(), recursive) && ok
			}
			return ok
		}
	}
	r, err := e.open(name)
	if err != nil {
		if !st.o.Has('s') {
			e.PathError(name, err)
		}
		return false
	}
	data, _ := readAll(r)
	r.Close()
	shown := name
	if name == "-" {
		shown = "(standard input)"
	}
	st.scan(data, shown)
	return true
}

func (st *grepState) match(line string) []int {
	for _, re := range st.res {
		if loc := re.FindStringIndex(line); loc != nil {
			return loc
		}
	}
	return nil
}

func (st *grepState) scan(data []byte, name string) {
	o, w := st.o, st.e.Stdout
	sep := byte('\n')
	if o.Has('z') {
		sep = 0
	}
	lines := strings.Split(string(data), string(sep))
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	count := 0
	lastPrinted := -1
	afterLeft := 0
	out := func(i int, line string, mark byte) {
		if lastPrinted >= 0 && i > lastPrinted+1 && (st.before > 0 || st.after > 0) {
			fmt.Fprintln(w, "--")
		}
		var b bytes.Buffer
		if st.prefix {
			b.WriteString(name)
			b.WriteByte(mark)
		}
		if o.Has('n') {
			fmt.Fprintf(&b, "%d%c", i+1, mark)
		}
		b.WriteString(line)
		b.WriteByte(sep)
		w.Write(b.Bytes())
		lastPrinted = i
	}
	for i, line := range lines {
		if st.maxCount >= 0 && count >= st.maxCount {
			break
		}
		loc := st.match(line)
		selected := (loc != nil) != o.Has('v')
		if !selected {
			if afterLeft > 0 && !o.Has('c') && !o.Has('l') && !o.Has('L') && !o.Has('q') {
				out(i, line, '-')
				afterLeft--
			}
			continue
		}
		count++
		st.matched = true
		switch {
		case o.Has('q'), o.Has('l'), o.Has('L'), o.Has('c'):
			continue
		case o.Has('o') && !o.Has('v'):
			for _, re := range st.res {
				for _, m := range re.FindAllString(line, -1) {
					if m != "" {
						out(i, m, ':')
					}
				}
			}
			continue
		}
		for j := max(lastPrinted+1, i-st.before); j < i; j++ {
			out(j, lines[j], '-')
		}
		out(i, line, ':')
		afterLeft = st.after
	}
	switch {
	case o.Has('q'):
	case o.Has('l') && count > 0:
		fmt.Fprintln(w, name)
	case o.Has('L') && count == 0:
		fmt.Fprintln(w, name)
	case o.Has('c'):
		if st.prefix {
			fmt.Fprintf(w, "%s:%d\n", name, count)
		} else {
			fmt.Fprintf(w, "%d\n", count)
		}
	}
	if o.Has('L') {
		// -L: success means a file was listed.
		st.listed = st.listed || count == 0
	}
}

// compilePattern turns a grep pattern (BRE by default, ERE with -E,
// literal with -F) into a Go regexp.
func compilePattern(p string, o *opts) (*regexp.Regexp, error) {
	switch {
	case o.Has('F'):
		p = regexp.QuoteMeta(p)
	case o.Has('E'):
	default:
		p = breToERE(p)
	}
	if o.Has('w') {
		p = `(?:^|[^[:alnum:]_])(` + p + `)(?:[^[:alnum:]_]|$)`
	}
	if o.Has('x') {
		p = `^(?:` + p + `)$`
	}
	if o.Has('i') {
		p = `(?i)` + p
	}
	return regexp.Compile(p)
}

// breToERE rewrites a POSIX basic regular expression: \( \) \{ \} \| \+ \?
// are operators and their bare forms are literal.
func breToERE(p string) string {
	var b strings.Builder
	inBracket := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if inBracket {
			b.WriteByte(c)
			if c == ']' {
				inBracket = false
			}
			continue
		}
		switch c {
		case '[':
			inBracket = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case '\\':
			if i+1 < len(p) {
				i++
				switch n := p[i]; n {
				case '(', ')', '{', '}', '|', '+', '?':
					b.WriteByte(n)
				default:
					b.WriteByte('\\')
					b.WriteByte(n)
				}
			} else {
				b.WriteString(`\\`)
			}
		case '(', ')', '{', '}', '|', '+', '?':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '*':
			if b.Len() == 0 {
				b.WriteString(`\*`)
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
