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

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

func init() {
	register("hostname", NoExec, hostname)
	register("id", NoExec, id)
	register("whoami", NoExec, whoami)
	register("uname", NoExec, uname)
	register("env", NoExec, env)
}

// hostname: the UTS name; -s/-f/-d/-i look the name up in /etc/hosts (the
// only resolver source a pod's /etc/nsswitch.conf-less image consults
// before DNS); setting it needs CAP_SYS_ADMIN, which a container lacks.
func hostname(e *Env) int {
	o, ok := e.getopt("dfisF:")
	if !ok {
		return 1
	}
	name := e.Sys.Uname().Nodename
	if len(o.Operands) > 0 || o.Has('F') {
		e.Errorf("sethostname: %s", "Operation not permitted")
		return 1
	}
	switch {
	case o.Has('s'):
		short, _, _ := strings.Cut(name, ".")
		fmt.Fprintln(e.Stdout, short)
	case o.Has('f') || o.Has('d') || o.Has('i'):
		ips, canonical := e.hostsLookup(name)
		if canonical == "" {
			e.Errorf("%s: Host name lookup failure", name)
			return 1
		}
		switch {
		case o.Has('i'):
			fmt.Fprintln(e.Stdout, strings.Join(ips, " "))
		case o.Has('d'):
			_, domain, _ := strings.Cut(canonical, ".")
			fmt.Fprintln(e.Stdout, domain)
		default:
			fmt.Fprintln(e.Stdout, canonical)
		}
	default:
		fmt.Fprintln(e.Stdout, name)
	}
	return 0
}

// hostsLookup finds name in /etc/hosts: its addresses and canonical name.
func (e *Env) hostsLookup(name string) ([]string, string) {
	data, err := e.readFile("/etc/hosts")
	if err != nil {
		return nil, ""
	}
	var ips []string
	canonical := ""
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		for _, n := range f[min(1, len(f)):] {
			if n == name {
				ips = append(ips, f[0])
				if canonical == "" {
					canonical = f[1]
				}
			}
		}
	}
	return ips, canonical
}

func id(e *Env) int {
	o, ok := e.getopt("ugGnr")
	if !ok {
		return 1
	}
	c := e.Sys.Caller()
	uid, gid, groups := c.UID, c.GID, c.Groups
	if len(o.Operands) > 0 {
		u, found := e.passwdEntry(o.Operands[0])
		if !found {
			e.Errorf("unknown user %s", o.Operands[0])
			return 1
		}
		uid, gid = u.uid, u.gid
		groups = e.groupList(u.name, u.gid)
	}
	name := func(isUser bool, v int) string {
		if !o.Has('n') {
			return strconv.Itoa(v)
		}
		if isUser {
			return e.userName(v)
		}
		return e.groupName(v)
	}
	switch {
	case o.Has('u'):
		fmt.Fprintln(e.Stdout, name(true, uid))
	case o.Has('g'):
		fmt.Fprintln(e.Stdout, name(false, gid))
	case o.Has('G'):
		list := groups
		if len(o.Operands) == 0 {
			list = append([]int{gid}, withoutValue(groups, gid)...)
		}
		var parts []string
		for _, g := range list {
			parts = append(parts, name(false, g))
		}
		fmt.Fprintln(e.Stdout, strings.Join(parts, " "))
	default:
		out := fmt.Sprintf("uid=%d%s gid=%d%s", uid, paren(e.dbName("/etc/passwd", uid)), gid, paren(e.dbName("/etc/group", gid)))
		if len(groups) > 0 {
			var parts []string
			for _, g := range groups {
				parts = append(parts, fmt.Sprintf("%d%s", g, paren(e.dbName("/etc/group", g))))
			}
			out += " groups=" + strings.Join(parts, ",")
		}
		fmt.Fprintln(e.Stdout, out)
	}
	return 0
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func withoutValue(list []int, v int) []int {
	var out []int
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

type passwd struct {
	name     string
	uid, gid int
}

func (e *Env) passwdEntry(name string) (passwd, bool) {
	data, _ := e.readFile("/etc/passwd")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 4 && f[0] == name {
			uid, _ := strconv.Atoi(f[2])
			gid, _ := strconv.Atoi(f[3])
			return passwd{name: name, uid: uid, gid: gid}, true
		}
	}
	return passwd{}, false
}

// groupList is getgrouplist: the primary group, then every group of
// /etc/group listing the user as a member.
func (e *Env) groupList(user string, primary int) []int {
	out := []int{primary}
	data, _ := e.readFile("/etc/group")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if m == user {
				if g, err := strconv.Atoi(f[2]); err == nil && g != primary {
					out = append(out, g)
				}
			}
		}
	}
	return out
}

func whoami(e *Env) int {
	if _, ok := e.getopt(""); !ok {
		return 1
	}
	uid := e.Sys.Caller().UID
	n := e.dbName("/etc/passwd", uid)
	if n == "" {
		e.Errorf("unknown uid %d", uid)
		return 1
	}
	fmt.Fprintln(e.Stdout, n)
	return 0
}

func uname(e *Env) int {
	o, ok := e.getopt("snrvmpioa")
	if !ok {
		return 1
	}
	u := e.Sys.Uname()
	all := o.Has('a')
	fields := []struct {
		c   byte
		val string
	}{{'s', u.Sysname}, {'n', u.Nodename}, {'r', u.Release}, {'v', u.Version}, {'m', u.Machine},
		{'p', "unknown"}, {'i', "unknown"}, {'o', "GNU/Linux"}}
	var out []string
	for _, f := range fields {
		// -a leaves out processor and platform when they are unknown.
		if o.Has(f.c) || all && f.val != "unknown" {
			out = append(out, f.val)
		}
	}
	if len(out) == 0 {
		out = []string{u.Sysname}
	}
	fmt.Fprintln(e.Stdout, strings.Join(out, " "))
	return 0
}

// env prints the environment, or runs a command in a changed one.
func env(e *Env) int {
	args := e.Args[1:]
	environ := append([]string(nil), e.Environ...)
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-" || a == "-i" || a == "--ignore-environment":
			environ = nil
		case a == "-u" && len(args) > 1:
			environ = unsetVar(environ, args[1])
			args = args[1:]
		case strings.HasPrefix(a, "-u") && len(a) > 2:
			environ = unsetVar(environ, a[2:])
		case a == "--":
			args = args[1:]
			goto vars
		case strings.HasPrefix(a, "-") && len(a) > 1:
			e.Errorf("invalid option -- '%c'", a[1])
			return e.Usage()
		default:
			goto vars
		}
		args = args[1:]
	}
vars:
	for len(args) > 0 && strings.Contains(args[0], "=") {
		k, _, _ := strings.Cut(args[0], "=")
		environ = append(unsetVar(environ, k), args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		for _, kv := range environ {
			fmt.Fprintln(e.Stdout, kv)
		}
		return 0
	}
	code, err := e.Exec(args, environ)
	if err != nil {
		e.Errorf("can't execute '%s': %s", args[0], vfs.Strerror(err))
		return 127
	}
	return code
}

func unsetVar(environ []string, name string) []string {
	var out []string
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}
