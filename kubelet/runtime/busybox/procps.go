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
	"math"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	register("ps", NoExec, ps)
	register("kill", Builtin, kill)
	register("sleep", Exec, sleep)
}

// psColumn is one -o column of busybox's desktop ps (procps/ps.c
// out_spec): its width and header, and how a value prints.
type psColumn struct {
	name   string
	width  int
	header string
	value  func(e *Env, p ProcInfo, width int) string
}

var psColumns = []psColumn{
	{"user", 8, "USER", func(e *Env, p ProcInfo, w int) string { return trunc(e.userName(p.UID), w) }},
	{"group", 8, "GROUP", func(e *Env, p ProcInfo, w int) string { return trunc(e.groupName(p.GID), w) }},
	{"comm", 16, "COMMAND", func(e *Env, p ProcInfo, w int) string { return trunc(p.Comm, w) }},
	{"args", 2048, "COMMAND", func(e *Env, p ProcInfo, w int) string { return trunc(cmdline(p), w) }},
	{"pid", 5, "PID", func(e *Env, p ProcInfo, w int) string { return fmt.Sprintf("%*d", w, p.PID) }},
	{"ppid", 5, "PPID", func(e *Env, p ProcInfo, w int) string { return fmt.Sprintf("%*d", w, p.PPID) }},
	{"pgid", 5, "PGID", func(e *Env, p ProcInfo, w int) string { return fmt.Sprintf("%*d", w, p.PGID) }},
	{"nice", 5, "NI", func(e *Env, p ProcInfo, w int) string { return fmt.Sprintf("%*d", w, 0) }},
	{"rgroup", 8, "RGROUP", func(e *Env, p ProcInfo, w int) string { return trunc(e.groupName(p.GID), w) }},
	{"ruser", 8, "RUSER", func(e *Env, p ProcInfo, w int) string { return trunc(e.userName(p.UID), w) }},
	{"tty", 6, "TT", func(e *Env, p ProcInfo, w int) string {
		if p.TTY {
			return "136,0"
		}
		return "?"
	}},
	{"vsz", 4, "VSZ", func(e *Env, p ProcInfo, w int) string { return trunc(smartSize(p.VSZ), w) }},
	{"sid", 5, "SID", func(e *Env, p ProcInfo, w int) string { return fmt.Sprintf("%*d", w, p.SID) }},
	{"stat", 4, "STAT", func(e *Env, p ProcInfo, w int) string { return trunc(p.State, w) }},
	{"rss", 4, "RSS", func(e *Env, p ProcInfo, w int) string { return trunc(smartSize(p.RSS), w) }},
}

func trunc(s string, w int) string {
	if len(s) > w {
		return s[:w]
	}
	return s
}

// smartSize is smart_ulltoa4: at most four characters, scaling by 1024
// with a suffix (" mgtpezy") when the number does not fit.
func smartSize(kb int) string {
	v := uint64(kb)
	const suffix = " mgtpezy"
	i := 0
	for v > 9999 && i < len(suffix)-1 {
		v = (v + 512) / 1024
		i++
	}
	if i == 0 {
		return strconv.FormatUint(v, 10)
	}
	return strconv.FormatUint(v, 10) + string(suffix[i])
}

// cmdline is read_cmdline: the arguments joined by spaces; "{comm} args"
// when comm is not argv[0]'s base name (an applet ash ran without exec);
// "[comm]" for a process without arguments (a zombie).
func cmdline(p ProcInfo) string {
	if len(p.Args) == 0 {
		return "[" + p.Comm + "]"
	}
	s := strings.Join(p.Args, " ")
	base := path.Base(p.Args[0])
	if !strings.HasPrefix(base, p.Comm) {
		return "{" + p.Comm + "} " + s
	}
	return s
}

func ps(e *Env) int {
	o, ok := e.getopt("Zo:aAdeflT")
	if !ok {
		return 1
	}
	specs := o.Lists['o']
	if len(specs) == 0 {
		specs = []string{"pid,user,args"}
	}
	type col struct {
		psColumn
		hdr string
	}
	var cols []col
	printHeader := false
	for _, spec := range specs {
		items := strings.Split(spec, ",")
		for i, item := range items {
			name, header, hasHeader := item, "", false
			if i == len(items)-1 {
				name, header, hasHeader = strings.Cut(item, "=")
			}
			c, found := psColumn{}, false
			for _, pc := range psColumns {
				// strncmp(name, name6, 6): exact, or the first six letters.
				if name[:min(len(name), 6)] == pc.name {
					c, found = pc, true
					break
				}
			}
			if !found {
				var names []string
				for _, pc := range psColumns {
					names = append(names, pc.name)
				}
				e.Errorf("bad -o argument '%s', supported arguments: %s", name, strings.Join(names, ","))
				return 1
			}
			cc := col{psColumn: c, hdr: c.header}
			if hasHeader {
				cc.hdr = header
				if header != "" {
					cc.width = len(header)
				}
			}
			if cc.hdr != "" {
				printHeader = true
			}
			cols = append(cols, cc)
		}
	}
	width := 2048
	if tty, w := e.Sys.Terminal(); tty {
		width = min(w-1, 2048)
	}
	// Columns that would start beyond the terminal are dropped.
	total := 0
	for i := range cols {
		total += cols[i].width + 1
		if total > width {
			cols = cols[:i+1]
			break
		}
	}
	line := func(fields []string) {
		var b strings.Builder
		for i, f := range fields {
			b.WriteString(f)
			if i == len(fields)-1 {
				break
			}
			pad := cols[i].width - len(f) + 1
			if pad < 0 {
				pad = -pad
			}
			b.WriteString(strings.Repeat(" ", pad))
		}
		s := b.String()
		fmt.Fprintln(e.Stdout, s[:min(len(s), width)])
	}
	if printHeader {
		var h []string
		for _, c := range cols {
			h = append(h, c.hdr)
		}
		line(h)
	}
	for _, p := range e.Sys.Processes() {
		if p.PID == e.Sys.PID() {
			p.State = "R  " // ps itself is running
		}
		var f []string
		for _, c := range cols {
			v := c.value(e, p, c.width)
			if v == "" {
				v = "-"
			}
			f = append(f, v)
		}
		line(f)
	}
	return 0
}

// signalNames are Linux's signal numbers as busybox names them.
var signalNames = []string{"", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
	"USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
	"XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS"}

// SignalNumber is get_signum: a number, or a name with or without "SIG"
// (IO and IOT and CLD are aliases).
func SignalNumber(s string) (syscall.Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 0 && n <= 64 {
			return syscall.Signal(n), true
		}
		return 0, false
	}
	s = strings.TrimPrefix(strings.ToUpper(s), "SIG")
	switch s {
	case "IO":
		return syscall.SIGIO, true
	case "IOT":
		return syscall.SIGABRT, true
	case "CLD":
		return syscall.SIGCHLD, true
	}
	for i, n := range signalNames {
		if i > 0 && n == s {
			return syscall.Signal(i), true
		}
	}
	return 0, false
}

// kill as the applet and as ash's builtin (Prog "sh"): "can't kill pid N:
// No such process" for a process the caller's namespace does not have.
func kill(e *Env) int {
	args := e.Args[1:]
	sig := syscall.SIGTERM
	if len(args) > 0 && args[0] == "-l" {
		if len(args) == 1 {
			for i := 1; i < len(signalNames); i++ {
				fmt.Fprintf(e.Stdout, "%2d) %s\n", i, signalNames[i])
			}
			return 0
		}
		for _, a := range args[1:] {
			if n, err := strconv.Atoi(a); err == nil {
				if n > 0 && n < len(signalNames) {
					fmt.Fprintln(e.Stdout, signalNames[n])
				} else {
					fmt.Fprintln(e.Stdout, n)
				}
			} else if s, ok := SignalNumber(a); ok {
				fmt.Fprintln(e.Stdout, int(s))
			} else {
				e.Errorf("bad signal name '%s'", a)
				return 1
			}
		}
		return 0
	}
	if len(args) > 0 && (args[0] == "-s" || args[0] == "-n") && len(args) > 1 {
		s, ok := SignalNumber(args[1])
		if !ok {
			e.Errorf("bad signal name '%s'", args[1])
			return 1
		}
		sig, args = s, args[2:]
	} else if len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "--" && len(args[0]) > 1 {
		s, ok := SignalNumber(args[0][1:])
		if !ok {
			e.Errorf("bad signal name '%s'", args[0][1:])
			return 1
		}
		sig, args = s, args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		e.Errorf("you need to specify whom to kill")
		return 1
	}
	code := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			e.Errorf("invalid number '%s'", a)
			code = 1
			continue
		}
		if err := e.Sys.Kill(pid, sig); err != nil {
			e.Errorf("can't kill pid %d: %s", pid, strerr(err))
			code = 1
		}
	}
	return code
}

// sleep adds up its arguments (N[.N][smhd]) and waits that long, or until
// it is killed.
func sleep(e *Env) int {
	if len(e.Args) < 2 {
		return e.Usage()
	}
	var total float64
	for _, a := range e.Args[1:] {
		mult, num := 1.0, a
		if n := len(a); n > 0 {
			switch a[n-1] {
			case 's':
				num = a[:n-1]
			case 'm':
				mult, num = 60, a[:n-1]
			case 'h':
				mult, num = 3600, a[:n-1]
			case 'd':
				mult, num = 86400, a[:n-1]
			}
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v < 0 || math.IsNaN(v) || strings.ContainsAny(num, "+-eExXpP") {
			if strings.EqualFold(num, "inf") || strings.EqualFold(num, "infinity") {
				total = math.Inf(1)
				continue
			}
			e.Errorf("invalid number '%s'", a)
			return 1
		}
		total += v * mult
	}
	d := time.Duration(math.MaxInt64)
	if total < float64(math.MaxInt64)/float64(time.Second) {
		d = time.Duration(total * float64(time.Second))
	}
	if !sleepCtx(e.Ctx, d) {
		return 1
	}
	return 0
}
