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
	"strconv"
	"strings"
)

func init() {
	register("echo", Builtin, echo)
	register("printf", Builtin, printf)
	register("true", Builtin, func(*Env) int { return 0 })
	register("false", Builtin, func(*Env) int { return 1 })
	register("pwd", Builtin, pwd)
}

// echo: leading -n, -e and -E (in any combination) are options; \c stops
// the output with -e.
func echo(e *Env) int {
	args := e.Args[1:]
	newline, escapes := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if escapes {
			s, stop := unescape(a, true)
			b.WriteString(s)
			if stop {
				e.Stdout.Write([]byte(b.String()))
				return 0
			}
		} else {
			b.WriteString(a)
		}
	}
	if newline {
		b.WriteByte('\n')
	}
	e.Stdout.Write([]byte(b.String()))
	return 0
}

// unescape interprets backslash escapes; echoStyle takes \0NNN octal and
// \c (stop), printf's format takes \NNN.
func unescape(s string, echoStyle bool) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'c':
			if echoStyle {
				return b.String(), true
			}
			b.WriteString(`\c`)
		case 'e':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\\':
			b.WriteByte('\\')
		case 'x':
			j := i + 1
			for j < len(s) && j < i+3 && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
				j++
			}
			if j == i+1 {
				b.WriteString(`\x`)
				continue
			}
			v, _ := strconv.ParseUint(s[i+1:j], 16, 8)
			b.WriteByte(byte(v))
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			start := i
			if echoStyle && s[i] != '0' {
				b.WriteByte('\\')
				b.WriteByte(s[i])
				continue
			}
			if echoStyle {
				start = i + 1
			}
			j := start
			for j < len(s) && j < start+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint("0"+s[start:j], 8, 16)
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String(), false
}

// printf reuses the format while arguments remain; a bad number prints
// "invalid number 'x'", counts as 0 and makes the exit status 1.
func printf(e *Env) int {
	args := e.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		if e.Prog == "sh" {
			e.Errorf("usage: printf FORMAT [ARGUMENT...]")
			return 2
		}
		return e.Usage()
	}
	format, args := args[0], args[1:]
	code := 0
	var out strings.Builder
	for {
		used, stop := e.printfOnce(&out, format, &args, &code)
		if stop || len(args) == 0 || used == 0 {
			break
		}
	}
	e.Stdout.Write([]byte(out.String()))
	return code
}

func (e *Env) printfOnce(out *strings.Builder, format string, args *[]string, code *int) (int, bool) {
	used := 0
	next := func() (string, bool) {
		if len(*args) == 0 {
			return "", false
		}
		a := (*args)[0]
		*args = (*args)[1:]
		used++
		return a, true
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '\\' {
			j := i + 1
			for j < len(format) && j < i+4 && format[j] >= '0' && format[j] <= '7' {
				j++
			}
			if j == i+1 {
				j = min(i+2, len(format))
			}
			s, _ := unescape(format[i:j], false)
			out.WriteString(s)
			i = j - 1
			continue
		}
		if c != '%' {
			out.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0", format[j]) >= 0 {
			j++
		}
		spec := format[i:j]
		for j < len(format) && (format[j] >= '0' && format[j] <= '9' || format[j] == '.' || format[j] == '*') {
			if format[j] == '*' {
				a, _ := next()
				n, _ := strconv.Atoi(a)
				spec += strconv.Itoa(n)
			} else {
				spec += string(format[j])
			}
			j++
		}
		for j < len(format) && strings.IndexByte("hlLqjzt", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			out.WriteString(format[i:])
			return used, false
		}
		verb := format[j]
		i = j
		switch verb {
		case '%':
			out.WriteByte('%')
		case 's':
			a, _ := next()
			fmt.Fprintf(out, spec+"s", a)
		case 'b':
			a, _ := next()
			s, stop := unescape(a, true)
			fmt.Fprintf(out, spec+"s", s)
			if stop {
				return used, true
			}
		case 'c':
			a, _ := next()
			if a != "" {
				fmt.Fprintf(out, spec+"c", a[0])
			}
		case 'd', 'i', 'o', 'u', 'x', 'X':
			a, _ := next()
			n := e.printfNumber(a, code)
			v := verb
			if v == 'i' || v == 'u' {
				v = 'd'
			}
			fmt.Fprintf(out, spec+string(v), n)
		case 'e', 'E', 'f', 'F', 'g', 'G':
			a, _ := next()
			f, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
			if err != nil && a != "" {
				e.Errorf("invalid number '%s'", a)
				*code = 1
			}
			fmt.Fprintf(out, spec+string(verb), f)
		default:
			e.Errorf("%%%c: invalid format", verb)
			*code = 1
			return used, true
		}
	}
	return used, false
}

func (e *Env) printfNumber(a string, code *int) int64 {
	if a == "" {
		return 0
	}
	if a[0] == '\'' || a[0] == '"' {
		if len(a) > 1 {
			return int64(a[1])
		}
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(a), 0, 64)
	if err != nil {
		e.Errorf("invalid number '%s'", a)
		*code = 1
		return 0
	}
	return n
}

func pwd(e *Env) int {
	fmt.Fprintln(e.Stdout, e.Sys.Caller().Cwd)
	return 0
}
