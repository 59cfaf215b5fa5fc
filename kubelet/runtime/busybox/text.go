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
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func init() {
	register("head", NoExec, head)
	register("tail", Exec, tail)
	register("wc", Exec, wc)
}

// fancyCount turns the historical "-5" into "-n 5", as head/tail's
// FEATURE_FANCY_HEAD/TAIL do.
func fancyCount(args []string) []string {
	out := []string{args[0]}
	for i, a := range args[1:] {
		prev := args[i]
		takesArg := prev == "-n" || prev == "-c"
		if !takesArg && len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9' {
			out = append(out, "-n", a[1:])
			continue
		}
		out = append(out, a)
	}
	return out
}

// parseCount reads N[bkm] (b: 512, k: 1024, m: 1024*1024).
func parseCount(s string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "b"):
		mult, s = 512, strings.TrimSuffix(s, "b")
	case strings.HasSuffix(s, "k"):
		mult, s = 1024, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1024*1024, strings.TrimSuffix(s, "m")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mult, true
}

func readAll(r io.Reader) ([]byte, error) {
	return io.ReadAll(readerOnly{r})
}

// readFirst reads the first n bytes, or lines, of r and no more.
func readFirst(r io.Reader, n int, bytesMode bool) []byte {
	if bytesMode {
		data, _ := io.ReadAll(io.LimitReader(readerOnly{r}, int64(n)))
		return data
	}
	var out []byte
	buf := make([]byte, 4096)
	for n > 0 {
		m, err := r.Read(buf)
		chunk := buf[:m]
		for n > 0 && len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				out = append(out, chunk...)
				break
			}
			out = append(out, chunk[:i+1]...)
			chunk = chunk[i+1:]
			n--
		}
		if err != nil {
			break
		}
	}
	return out
}

// headerPrinter prints "==> NAME <==" before each file when there are
// several (or -v), with a blank line between them.
type headerPrinter struct {
	e     *Env
	show  bool
	first bool
}

func (h *headerPrinter) print(name string) {
	if !h.show {
		return
	}
	if !h.first {
		fmt.Fprintln(h.e.Stdout)
	}
	h.first = false
	if name == "-" {
		name = "standard input"
	}
	fmt.Fprintf(h.e.Stdout, "==> %s <==\n", name)
}

// countOption is head's and tail's count: the -c argument (bytesMode) or
// the -n one, "" when neither was given.
func countOption(o *opts) (spec string, bytesMode bool) {
	switch {
	case o.Has('c'):
		return o.Arg['c'], true
	case o.Has('n'):
		return o.Arg['n'], false
	}
	return "", false
}

func head(e *Env) int {
	e2 := *e
	e2.Args = fancyCount(e.Args)
	o, ok := e2.getopt("n:c:qv")
	if !ok {
		return 1
	}
	lines, allBut := 10, false
	spec, bytesMode := countOption(o)
	if spec != "" {
		if strings.HasPrefix(spec, "-") {
			allBut, spec = true, spec[1:]
		}
		n, ok := parseCount(spec)
		if !ok {
			e.Errorf("invalid number '%s'", spec)
			return 1
		}
		lines = n
	}
	files := o.Operands
	if len(files) == 0 {
		files = []string{"-"}
	}
	hp := &headerPrinter{e: e, show: (len(files) > 1 || o.Has('v')) && !o.Has('q'), first: true}
	code := 0
	for _, name := range files {
		r, err := e.open(name)
		if err != nil {
			e.Errorf("can't open '%s': %s", name, strerr(err))
			code = 1
			continue
		}
		hp.print(name)
		if allBut {
			data, _ := readAll(r)
			e.Stdout.Write(cut(data, lines, bytesMode, allBut, true))
		} else {
			// As busybox's head: read no further than what it prints, so
			// that /dev/zero or an endless writer on a pipe ends.
			e.Stdout.Write(readFirst(r, lines, bytesMode))
		}
		r.Close()
	}
	return code
}

// cut keeps the first (fromStart) or last n lines or bytes of data; allBut
// inverts the selection.
func cut(data []byte, n int, bytesMode, allBut, fromStart bool) []byte {
	if bytesMode {
		n = min(n, len(data))
		switch {
		case fromStart && !allBut:
			return data[:n]
		case fromStart && allBut:
			return data[:len(data)-n]
		default:
			return data[len(data)-n:]
		}
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	n = min(n, len(lines))
	switch {
	case fromStart && !allBut:
		lines = lines[:n]
	case fromStart && allBut:
		lines = lines[:len(lines)-n]
	default:
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, nil)
}

func tail(e *Env) int {
	e2 := *e
	e2.Args = fancyCount(e.Args)
	o, ok := e2.getopt("fFn:c:qvs:")
	if !ok {
		return 1
	}
	n, fromStart := 10, false
	spec, bytesMode := countOption(o)
	if spec != "" {
		if strings.HasPrefix(spec, "+") {
			fromStart, spec = true, spec[1:]
		}
		spec = strings.TrimPrefix(spec, "-")
		v, ok := parseCount(spec)
		if !ok {
			e.Errorf("invalid number '%s'", spec)
			return 1
		}
		n = v
	}
	files := o.Operands
	if len(files) == 0 {
		files = []string{"-"}
	}
	hp := &headerPrinter{e: e, show: (len(files) > 1 || o.Has('v')) && !o.Has('q'), first: true}
	code := 0
	sizes := map[string]int{}
	for _, name := range files {
		r, err := e.open(name)
		if err != nil {
			e.Errorf("can't open '%s': %s", name, strerr(err))
			code = 1
			continue
		}
		hp.print(name)
		data, _ := readAll(r)
		r.Close()
		sizes[name] = len(data)
		if fromStart {
			// +N: from line (or byte) N on, counting from 1.
			skip := cut(data, max(0, n-1), bytesMode, false, true)
			e.Stdout.Write(data[len(skip):])
		} else {
			e.Stdout.Write(cut(data, n, bytesMode, false, false))
		}
	}
	if !o.Has('f') && !o.Has('F') {
		return code
	}
	// -f: poll the files for what is appended, until killed.
	for sleepCtx(e.Ctx, time.Second) {
		for _, name := range files {
			if name == "-" {
				continue
			}
			r, err := e.open(name)
			if err != nil {
				continue
			}
			data, _ := readAll(r)
			r.Close()
			if len(data) > sizes[name] {
				e.Stdout.Write(data[sizes[name]:])
			}
			sizes[name] = len(data)
		}
	}
	return code
}

// wc prints "%9u" columns (lines, words, bytes, longest line); a single
// count of a single input is printed without padding.
func wc(e *Env) int {
	o, ok := e.getopt("cmlwL")
	if !ok {
		return 1
	}
	want := []bool{o.Has('l'), o.Has('w'), o.Has('c') || o.Has('m'), o.Has('L')}
	if !want[0] && !want[1] && !want[2] && !want[3] {
		want = []bool{true, true, true, false}
	}
	files := o.Operands
	stdin := len(files) == 0
	if stdin {
		files = []string{"-"}
	}
	nwant := 0
	for _, w := range want {
		if w {
			nwant++
		}
	}
	format := "%9d"
	if nwant == 1 && len(files) == 1 {
		format = "%d"
	}
	var total [4]int
	code := 0
	print := func(counts [4]int, name string) {
		var parts []string
		for i, w := range want {
			if w {
				parts = append(parts, fmt.Sprintf(format, counts[i]))
			}
		}
		line := strings.Join(parts, " ")
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(e.Stdout, line)
	}
	for _, name := range files {
		r, err := e.open(name)
		if err != nil {
			e.PathError(name, err)
			code = 1
			continue
		}
		data, _ := readAll(r)
		r.Close()
		var c [4]int
		c[0] = bytes.Count(data, []byte("\n"))
		c[1] = len(bytes.Fields(data))
		c[2] = len(data)
		if o.Has('m') {
			c[2] = utf8.RuneCount(data)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			c[3] = max(c[3], len(l))
		}
		for i := range total {
			total[i] += c[i]
		}
		total[3] = max(total[3], c[3])
		shown := name
		if stdin {
			shown = ""
		}
		print(c, shown)
	}
	if len(files) > 1 {
		print(total, "total")
	}
	return code
}
