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
	"strings"
)

// opts is the result of getopt32: which flags were given (and how often),
// the last argument of each option that takes one (all of them in Lists),
// and the operands.
type opts struct {
	Count    map[byte]int
	Arg      map[byte]string
	Lists    map[byte][]string
	Long     map[string]string // long options given (--name or --name=value)
	Operands []string
}

func (o *opts) Has(c byte) bool { return o.Count[c] > 0 }

// getopt parses args[1:] as busybox's getopt32 over glibc's getopt_long
// does: spec lists option letters, a letter followed by ':' takes an
// argument; options and operands may be mixed (GNU permutation) until "--".
// long lists accepted long options (without "--"; a trailing '=' means it
// takes a value). On an error it prints glibc's message and the usage text,
// and returns false (the applet exits 1).
func (e *Env) getopt(spec string, long ...string) (*opts, bool) {
	o := &opts{Count: map[byte]int{}, Arg: map[byte]string{}, Lists: map[byte][]string{}, Long: map[string]string{}}
	takesArg := map[byte]bool{}
	known := map[byte]bool{}
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		known[c] = true
		if i+1 < len(spec) && spec[i+1] == ':' {
			takesArg[c] = true
			i++
		}
	}
	args := e.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.Operands = append(o.Operands, args[i+1:]...)
			return o, true
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			matched := ""
			for _, l := range long {
				ln := strings.TrimSuffix(l, "=")
				if ln == name || strings.HasPrefix(ln, name) && name != "" && matched == "" {
					matched = l
				}
			}
			if matched == "" {
				if len(long) == 0 {
					return o, e.badOption(fmt.Sprintf("invalid option -- '%c'", '-'))
				}
				return o, e.badOption(fmt.Sprintf("unrecognized option '%s'", a))
			}
			if strings.HasSuffix(matched, "=") && !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			o.Long[strings.TrimSuffix(matched, "=")] = val
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				if !known[c] {
					return o, e.badOption(fmt.Sprintf("invalid option -- '%c'", c))
				}
				o.Count[c]++
				if takesArg[c] {
					var v string
					switch {
					case j+1 < len(a):
						v = a[j+1:]
					case i+1 < len(args):
						i++
						v = args[i]
					default:
						return o, e.badOption(fmt.Sprintf("option requires an argument -- '%c'", c))
					}
					o.Arg[c] = v
					o.Lists[c] = append(o.Lists[c], v)
					break
				}
			}
		default:
			o.Operands = append(o.Operands, a)
		}
	}
	return o, true
}

func (e *Env) badOption(msg string) bool {
	e.Errorf("%s", msg)
	e.Usage()
	return false
}
