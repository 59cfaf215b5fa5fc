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

package runtime

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// procFS is a container's /proc: the processes of its PID namespace (with
// /proc/N/root leading into each one's container, as on a node, which is
// how a debugging container reads its target's files), "self", and the few
// kernel files a debugging session reads.
type procFS struct {
	ctr *Container
}

var procFiles = []string{"cpuinfo", "loadavg", "meminfo", "mounts", "self", "uptime", "version"}

func (d procFS) Names(c *vfs.Caller) []string {
	out := append([]string(nil), procFiles...)
	for _, p := range d.ctr.ns.list() {
		out = append(out, strconv.Itoa(p.PID))
	}
	return out
}

func (d procFS) Lookup(c *vfs.Caller, name string) *vfs.Node {
	ctr := d.ctr
	now := ctr.rt.now()
	gen := func(f func() string) *vfs.Node {
		return vfs.NewGenerated(0o444, now, func() []byte { return []byte(f()) })
	}
	switch name {
	case "self":
		return vfs.NewSymlink(strconv.Itoa(c.PID), now)
	case "version":
		u := ctr.uname()
		return gen(func() string {
			return fmt.Sprintf("Linux version %s (ephemera@ephemera) (gcc (Debian 12.2.0-14) 12.2.0) %s\n", u.Release, u.Version)
		})
	case "uptime":
		return gen(func() string {
			up := ctr.rt.now().Sub(ctr.rt.boot).Seconds()
			return fmt.Sprintf("%.2f %.2f\n", up, up*1.8)
		})
	case "loadavg":
		return gen(func() string { return fmt.Sprintf("0.00 0.00 0.00 1/%d 1\n", len(ctr.ns.list())) })
	case "meminfo":
		return gen(func() string {
			return "MemTotal:       16384000 kB\nMemFree:        12288000 kB\nMemAvailable:   14336000 kB\n"
		})
	case "cpuinfo":
		return gen(func() string {
			var b strings.Builder
			for i := 0; i < 8; i++ {
				fmt.Fprintf(&b, "processor\t: %d\nmodel name\t: Ephemera simulated CPU\n\n", i)
			}
			return b.String()
		})
	case "mounts":
		return gen(ctr.mountsText)
	}
	pid, err := strconv.Atoi(name)
	if err != nil {
		return nil
	}
	p := ctr.ns.get(pid)
	if p == nil {
		return nil
	}
	return p.procDir()
}

// procDir is /proc/PID.
func (p *Process) procDir() *vfs.Node {
	now := p.start
	info := p.info()
	dir := vfs.NewDir(0o555, now).Chown(info.UID, info.GID)
	file := func(name string, f func() string) {
		dir.Add(name, vfs.NewGenerated(0o444, now, func() []byte { return []byte(f()) }).Chown(info.UID, info.GID))
	}
	file("cmdline", func() string {
		i := p.info()
		if len(i.Args) == 0 {
			return ""
		}
		return strings.Join(i.Args, "\x00") + "\x00"
	})
	file("comm", func() string { return p.info().Comm + "\n" })
	file("environ", func() string {
		if len(p.ctr.cfg.Env) == 0 {
			return ""
		}
		return strings.Join(p.ctr.cfg.Env, "\x00") + "\x00"
	})
	file("status", func() string {
		i := p.info()
		return fmt.Sprintf("Name:\t%s\nUmask:\t%04o\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n",
			i.Comm, uint32(p.caller.Umask), i.PID, i.PID, i.PPID, i.UID, i.UID, i.UID, i.UID, i.GID, i.GID, i.GID, i.GID)
	})
	file("stat", func() string {
		i := p.info()
		return fmt.Sprintf("%d (%s) S %d 0 0 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 0 %d %d\n", i.PID, i.Comm, i.PPID, i.VSZ*1024, i.RSS/4)
	})
	dir.Add("cwd", vfs.NewSymlink(p.caller.Cwd, now))
	dir.Add("exe", vfs.NewSymlink("/bin/busybox", now))
	dir.Add("root", p.ctr.fs.Root())
	return dir
}
