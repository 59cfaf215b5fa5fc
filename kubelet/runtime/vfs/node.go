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

// Package vfs is the in-memory filesystem of a simulated container: the
// image's files, what the kubelet mounts into it (/etc/hosts, /etc/resolv.conf,
// /dev/termination-log, volumes) and the kernel's /proc, as one tree of
// nodes. Nothing here touches the host's filesystem: every file a simulated
// process sees is a Node.
//
// Errors are *fs.PathError values carrying a syscall.Errno, as the kernel's
// would be, so that applets print the C library's messages (see Strerror).
package vfs

import (
	"io/fs"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Node is a file, directory, symbolic link or device. A node may be shared
// by several trees (a volume mounted in two containers, /proc/N/root).
type Node struct {
	mu       sync.Mutex
	ino      uint64
	mode     fs.FileMode // type bits and permissions
	uid, gid int
	mtime    time.Time
	readOnly bool // on a read-only mount

	data     []byte           // regular file
	children map[string]*Node // directory
	target   string           // symbolic link
	dev      Device           // character device
	rdev     [2]int           // a device's major and minor numbers
	content  func() []byte    // generated file (computed when opened)
	program  string           // an executable: which program it is
	size     int64            // a program's apparent size
	fstype   FSType           // the filesystem a directory is the root of
	merged   bool             // an overlay directory with mounts below it
	dynamic  Dynamic          // generated directory entries (/proc)
}

// Device is a character device's behaviour (/dev/null, /dev/zero, ...).
type Device interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}

// FSType is the kind of filesystem mounted on a directory, which decides
// the size and link count stat(2) reports for it.
type FSType int

const (
	// Disk is the image's overlay filesystem on ext4 (the default).
	Disk FSType = iota
	// Tmpfs: a directory is 20 bytes per entry plus 40, and takes no
	// blocks (/dev, /dev/shm, secrets).
	Tmpfs
	// Pseudo: sysfs, devpts: size 0, no blocks.
	Pseudo
)

// SetFSType marks a directory as the root of a mounted filesystem.
func (n *Node) SetFSType(t FSType) *Node {
	n.mu.Lock()
	n.fstype = t
	n.mu.Unlock()
	return n
}

// Dynamic lists and looks up directory entries computed at each access,
// for the caller (e.g. /proc shows the caller's PID namespace and its "self").
type Dynamic interface {
	Names(c *Caller) []string
	Lookup(c *Caller, name string) *Node
}

var inodes atomic.Uint64

func init() { inodes.Store(1000) }

func newNode(mode fs.FileMode, mtime time.Time) *Node {
	return &Node{ino: inodes.Add(1), mode: mode, mtime: mtime}
}

// NewDir returns an empty directory owned by root.
func NewDir(perm fs.FileMode, mtime time.Time) *Node {
	n := newNode(fs.ModeDir|perm, mtime)
	n.children = map[string]*Node{}
	return n
}

// NewFile returns a regular file with data, owned by root.
func NewFile(data []byte, perm fs.FileMode, mtime time.Time) *Node {
	n := newNode(perm, mtime)
	n.data = append([]byte(nil), data...)
	return n
}

// NewSymlink returns a symbolic link to target.
func NewSymlink(target string, mtime time.Time) *Node {
	n := newNode(fs.ModeSymlink|0o777, mtime)
	n.target = target
	return n
}

// NewDevice returns a character device with its major and minor numbers.
func NewDevice(d Device, major, minor int, perm fs.FileMode, mtime time.Time) *Node {
	n := newNode(fs.ModeDevice|fs.ModeCharDevice|perm, mtime)
	n.dev = d
	n.rdev = [2]int{major, minor}
	return n
}

// NewProgram returns an executable file standing for a program the runtime
// knows by name (the image's /bin/busybox): it reads as an ELF header
// followed by zeros, and is size bytes long.
func NewProgram(program string, size int64, perm fs.FileMode, mtime time.Time) *Node {
	n := newNode(perm, mtime)
	n.program = program
	n.size = size
	return n
}

// NewGenerated returns a read-only file whose content is computed each time
// it is opened (a /proc file). Its size is 0, as /proc reports.
func NewGenerated(perm fs.FileMode, mtime time.Time, content func() []byte) *Node {
	n := newNode(perm, mtime)
	n.content = content
	return n
}

// NewDynamic returns a directory whose entries d computes.
func NewDynamic(perm fs.FileMode, mtime time.Time, d Dynamic) *Node {
	n := newNode(fs.ModeDir|perm, mtime)
	n.dynamic = d
	return n
}

// Chown sets the owner; it returns n for chaining.
func (n *Node) Chown(uid, gid int) *Node {
	n.mu.Lock()
	n.uid, n.gid = uid, gid
	n.mu.Unlock()
	return n
}

// SetReadOnly marks n (and, for a directory, what is below it) as being on
// a read-only mount.
func (n *Node) SetReadOnly() *Node {
	n.mu.Lock()
	n.readOnly = true
	kids := n.childList()
	n.mu.Unlock()
	for _, k := range kids {
		k.SetReadOnly()
	}
	return n
}

// Add puts child under name in directory n, replacing what was there.
func (n *Node) Add(name string, child *Node) *Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.children[name] = child
	return child
}

// Data returns a copy of a regular file's content.
func (n *Node) Data() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]byte(nil), n.data...)
}

// IsDir reports whether n is a directory.
func (n *Node) IsDir() bool { return n.mode.IsDir() }

func (n *Node) childList() []*Node {
	out := make([]*Node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	return out
}

// lookup finds a child of a directory.
func (n *Node) lookup(c *Caller, name string) *Node {
	if n.dynamic != nil {
		return n.dynamic.Lookup(c, name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.children[name]
}

// names lists a directory's entries, sorted.
func (n *Node) names(c *Caller) []string {
	var out []string
	if n.dynamic != nil {
		out = n.dynamic.Names(c)
	} else {
		n.mu.Lock()
		for k := range n.children {
			out = append(out, k)
		}
		n.mu.Unlock()
	}
	sort.Strings(out)
	return out
}

// Stat is what Info.Sys returns: the fields of stat(2) a tool may print.
type Stat struct {
	Ino    uint64
	Nlink  uint64
	UID    int
	GID    int
	Blocks int64 // 512-byte blocks, as st_blocks
	Major  int   // a device's st_rdev
	Minor  int
}

// Info is a node's fs.FileInfo under a name.
type Info struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
	stat  Stat
}

func (i *Info) Name() string       { return i.name }
func (i *Info) Size() int64        { return i.size }
func (i *Info) Mode() fs.FileMode  { return i.mode }
func (i *Info) ModTime() time.Time { return i.mtime }
func (i *Info) IsDir() bool        { return i.mode.IsDir() }
func (i *Info) Sys() any           { return &i.stat }

// info describes n as stat(2) would on an ext4/overlay root: directories
// are 4096 bytes, files take whole 4 KiB blocks, /proc entries take none.
func (n *Node) info(c *Caller, name string) *Info {
	n.mu.Lock()
	i := &Info{name: name, mode: n.mode, mtime: n.mtime, stat: Stat{Ino: n.ino, Nlink: 1, UID: n.uid, GID: n.gid, Major: n.rdev[0], Minor: n.rdev[1]}}
	switch {
	case n.dynamic != nil:
		i.stat.Nlink = 2
	case n.mode.IsDir():
		i.size = 4096
		i.stat.Nlink = 2
		for _, k := range n.children {
			if k.mode.IsDir() {
				i.stat.Nlink++
			}
		}
		switch {
		case n.fstype == Tmpfs:
			i.size = int64(20 * (len(n.children) + 2))
		case n.fstype == Pseudo:
			i.size = 0
		case n.merged:
			// overlayfs reports one link for a directory it merged.
			i.stat.Nlink = 1
		}
	case n.mode&fs.ModeSymlink != 0:
		i.size = int64(len(n.target))
	case n.content != nil || n.dev != nil:
	case n.program != "":
		i.size = n.size
	default:
		i.size = int64(len(n.data))
	}
	n.mu.Unlock()
	if n.dynamic != nil {
		// /proc's link count: 2 plus its subdirectories (the PIDs and a few more).
		i.stat.Nlink += uint64(len(n.dynamic.Names(c)))
	}
	if n.mode.IsDir() && n.dynamic == nil && n.fstype == Disk || n.mode.IsRegular() && n.content == nil {
		i.stat.Blocks = (i.size + 4095) / 4096 * 8
	}
	return i
}
