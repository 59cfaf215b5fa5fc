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

package vfs

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"
)

// FS is one container's view: a root directory and a clock for the times
// it writes.
type FS struct {
	root *Node
	now  func() time.Time
}

// New returns a filesystem rooted at root; now stamps what is written.
func New(root *Node, now func() time.Time) *FS {
	if now == nil {
		now = time.Now
	}
	return &FS{root: root, now: now}
}

// Root is the root directory.
func (f *FS) Root() *Node { return f.root }

// Caller is who asks: the process's working directory, credentials, umask
// and PID (which /proc/self names).
type Caller struct {
	Cwd    string
	UID    int
	GID    int
	Groups []int
	Umask  fs.FileMode
	PID    int
}

// Root is the caller used by the runtime itself.
var Root = &Caller{Cwd: "/", Umask: 0o022}

const maxSymlinks = 40 // Linux's MAXSYMLINKS

func pathErr(op, name string, errno syscall.Errno) error {
	return &fs.PathError{Op: op, Path: name, Err: errno}
}

// resolved is where a path leads: the directory holding the last component
// and the node itself (nil if it does not exist).
type resolved struct {
	parent *Node
	node   *Node
	name   string
}

// resolve walks name from the caller's working directory. followLast says
// whether a symbolic link in the last component is followed.
func (f *FS) resolve(c *Caller, op, name string, followLast bool) (resolved, error) {
	if name == "" {
		return resolved{}, pathErr(op, name, syscall.ENOENT)
	}
	full := name
	if !strings.HasPrefix(name, "/") {
		full = c.Cwd + "/" + name
	}
	stack := []*Node{f.root}
	todo := splitPath(full)
	links := 0
	for len(todo) > 0 {
		comp := todo[0]
		todo = todo[1:]
		last := len(todo) == 0
		dir := stack[len(stack)-1]
		switch comp {
		case ".":
			if last {
				return resolved{parent: dir, node: dir, name: "."}, nil
			}
			continue
		case "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			if last {
				d := stack[len(stack)-1]
				return resolved{parent: d, node: d, name: ".."}, nil
			}
			continue
		}
		if !dir.mode.IsDir() {
			return resolved{}, pathErr(op, name, syscall.ENOTDIR)
		}
		if !permitted(c, dir, 1) {
			return resolved{}, pathErr(op, name, syscall.EACCES)
		}
		child := dir.lookup(c, comp)
		if child == nil {
			if last {
				return resolved{parent: dir, name: comp}, nil
			}
			return resolved{}, pathErr(op, name, syscall.ENOENT)
		}
		if child.mode&fs.ModeSymlink != 0 && (!last || followLast) {
			links++
			if links > maxSymlinks {
				return resolved{}, pathErr(op, name, syscall.ELOOP)
			}
			child.mu.Lock()
			target := child.target
			child.mu.Unlock()
			if strings.HasPrefix(target, "/") {
				stack = stack[:1]
			}
			todo = append(splitPath(target), todo...)
			if len(todo) == 0 {
				return resolved{parent: stack[len(stack)-1], node: stack[len(stack)-1], name: "/"}, nil
			}
			continue
		}
		if last {
			return resolved{parent: dir, node: child, name: comp}, nil
		}
		stack = append(stack, child)
	}
	return resolved{parent: f.root, node: f.root, name: "/"}, nil
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// permitted checks the permission bits want (4 read, 2 write, 1 search or
// execute) for the caller; root may read and write anything and execute
// what has an execute bit.
func permitted(c *Caller, n *Node, want fs.FileMode) bool {
	n.mu.Lock()
	mode, uid, gid := n.mode, n.uid, n.gid
	n.mu.Unlock()
	if c.UID == 0 {
		if want&1 != 0 && !mode.IsDir() {
			return mode&0o111 != 0
		}
		return true
	}
	perm := mode.Perm()
	switch {
	case c.UID == uid:
		perm >>= 6
	case c.GID == gid || contains(c.Groups, gid):
		perm >>= 3
	}
	return perm&want == want
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Stat follows symbolic links, as stat(2).
func (f *FS) Stat(c *Caller, name string) (fs.FileInfo, error) {
	r, err := f.resolve(c, "stat", name, true)
	if err != nil {
		return nil, err
	}
	if r.node == nil {
		return nil, pathErr("stat", name, syscall.ENOENT)
	}
	return r.node.info(c, path.Base(name)), nil
}

// Lstat does not follow a symbolic link in the last component.
func (f *FS) Lstat(c *Caller, name string) (fs.FileInfo, error) {
	r, err := f.resolve(c, "lstat", name, false)
	if err != nil {
		return nil, err
	}
	if r.node == nil {
		return nil, pathErr("lstat", name, syscall.ENOENT)
	}
	return r.node.info(c, path.Base(name)), nil
}

// Readlink returns a symbolic link's target.
func (f *FS) Readlink(c *Caller, name string) (string, error) {
	r, err := f.resolve(c, "readlink", name, false)
	if err != nil {
		return "", err
	}
	if r.node == nil {
		return "", pathErr("readlink", name, syscall.ENOENT)
	}
	if r.node.mode&fs.ModeSymlink == 0 {
		return "", pathErr("readlink", name, syscall.EINVAL)
	}
	r.node.mu.Lock()
	defer r.node.mu.Unlock()
	return r.node.target, nil
}

// Access checks permissions as access(2): mode is 4 (read), 2 (write), 1
// (execute) or a sum; 0 checks existence.
func (f *FS) Access(c *Caller, name string, mode uint32) error {
	r, err := f.resolve(c, "access", name, true)
	if err != nil {
		return err
	}
	if r.node == nil {
		return pathErr("access", name, syscall.ENOENT)
	}
	if mode&2 != 0 && r.node.readOnly {
		return pathErr("access", name, syscall.EROFS)
	}
	if !permitted(c, r.node, fs.FileMode(mode&7)) {
		return pathErr("access", name, syscall.EACCES)
	}
	return nil
}

// ReadDir lists a directory; each entry's Info is its lstat.
func (f *FS) ReadDir(c *Caller, name string) ([]fs.DirEntry, error) {
	r, err := f.resolve(c, "open", name, true)
	if err != nil {
		return nil, err
	}
	if r.node == nil {
		return nil, pathErr("open", name, syscall.ENOENT)
	}
	if !r.node.mode.IsDir() {
		return nil, pathErr("open", name, syscall.ENOTDIR)
	}
	if !permitted(c, r.node, 4) {
		return nil, pathErr("open", name, syscall.EACCES)
	}
	var out []fs.DirEntry
	for _, n := range r.node.names(c) {
		if child := r.node.lookup(c, n); child != nil {
			out = append(out, fs.FileInfoToDirEntry(child.info(c, n)))
		}
	}
	return out, nil
}

// writableDir checks that entries may be added to or removed from dir.
func writableDir(c *Caller, op, name string, dir *Node) error {
	if dir.readOnly {
		return pathErr(op, name, syscall.EROFS)
	}
	if dir.dynamic != nil || dir.children == nil {
		return pathErr(op, name, syscall.EACCES)
	}
	if !permitted(c, dir, 3) {
		return pathErr(op, name, syscall.EACCES)
	}
	return nil
}

func (f *FS) owned(c *Caller, n *Node) *Node {
	n.uid, n.gid = c.UID, c.GID
	return n
}

// Mkdir creates a directory.
func (f *FS) Mkdir(c *Caller, name string, perm fs.FileMode) error {
	r, err := f.resolve(c, "mkdir", name, false)
	if err != nil {
		return err
	}
	if r.node != nil {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	if err := writableDir(c, "mkdir", name, r.parent); err != nil {
		return err
	}
	r.parent.Add(r.name, f.owned(c, NewDir(perm.Perm()&^c.Umask, f.now())))
	f.touchDir(r.parent)
	return nil
}

// Symlink creates a symbolic link name pointing to target.
func (f *FS) Symlink(c *Caller, target, name string) error {
	r, err := f.resolve(c, "symlink", name, false)
	if err != nil {
		return err
	}
	if r.node != nil {
		return pathErr("symlink", name, syscall.EEXIST)
	}
	if err := writableDir(c, "symlink", name, r.parent); err != nil {
		return err
	}
	r.parent.Add(r.name, f.owned(c, NewSymlink(target, f.now())))
	f.touchDir(r.parent)
	return nil
}

// Remove unlinks a file (dir false) or removes an empty directory (dir true).
func (f *FS) Remove(c *Caller, name string, dir bool) error {
	op := "unlink"
	if dir {
		op = "rmdir"
	}
	r, err := f.resolve(c, op, name, false)
	if err != nil {
		return err
	}
	switch {
	case r.node == nil:
		return pathErr(op, name, syscall.ENOENT)
	case r.name == "." || r.name == "..":
		return pathErr(op, name, syscall.EINVAL)
	case r.node == f.root:
		return pathErr(op, name, syscall.EBUSY)
	case dir && !r.node.mode.IsDir():
		return pathErr(op, name, syscall.ENOTDIR)
	case !dir && r.node.mode.IsDir():
		return pathErr(op, name, syscall.EISDIR)
	}
	if err := writableDir(c, op, name, r.parent); err != nil {
		return err
	}
	if dir && len(r.node.names(c)) > 0 {
		return pathErr(op, name, syscall.ENOTEMPTY)
	}
	r.parent.mu.Lock()
	if r.parent.children[r.name] == r.node {
		delete(r.parent.children, r.name)
	}
	r.parent.mu.Unlock()
	f.touchDir(r.parent)
	return nil
}

// Chtimes sets a file's modification time (touch).
func (f *FS) Chtimes(c *Caller, name string, mtime time.Time) error {
	r, err := f.resolve(c, "utime", name, true)
	if err != nil {
		return err
	}
	if r.node == nil {
		return pathErr("utime", name, syscall.ENOENT)
	}
	if r.node.readOnly {
		return pathErr("utime", name, syscall.EROFS)
	}
	if !permitted(c, r.node, 2) {
		return pathErr("utime", name, syscall.EACCES)
	}
	r.node.mu.Lock()
	r.node.mtime = mtime
	r.node.mu.Unlock()
	return nil
}

// Now is the filesystem's clock.
func (f *FS) Now() time.Time { return f.now() }

func (f *FS) touchDir(n *Node) {
	n.mu.Lock()
	n.mtime = f.now()
	n.mu.Unlock()
}

// Open opens a file as open(2) with flag (os.O_*) and, when it creates the
// file, perm less the caller's umask.
func (f *FS) Open(c *Caller, name string, flag int, perm fs.FileMode) (*File, error) {
	write := flag&(os.O_WRONLY|os.O_RDWR) != 0
	r, err := f.resolve(c, "open", name, true)
	if err != nil {
		return nil, err
	}
	n := r.node
	if n == nil {
		if flag&os.O_CREATE == 0 {
			return nil, pathErr("open", name, syscall.ENOENT)
		}
		if err := writableDir(c, "open", name, r.parent); err != nil {
			return nil, err
		}
		n = f.owned(c, NewFile(nil, perm.Perm()&^c.Umask, f.now()))
		r.parent.Add(r.name, n)
		f.touchDir(r.parent)
	} else {
		if flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL {
			return nil, pathErr("open", name, syscall.EEXIST)
		}
		if n.mode.IsDir() && write {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
		if write && n.readOnly {
			return nil, pathErr("open", name, syscall.EROFS)
		}
		want := fs.FileMode(0)
		if flag&(os.O_WRONLY) == 0 {
			want |= 4
		}
		if write {
			want |= 2
		}
		if !permitted(c, n, want) {
			return nil, pathErr("open", name, syscall.EACCES)
		}
		if write && n.content != nil {
			return nil, pathErr("open", name, syscall.EACCES)
		}
	}
	file := &File{fs: f, n: n, name: name, flag: flag}
	n.mu.Lock()
	if flag&os.O_TRUNC != 0 && write && n.mode.IsRegular() && n.content == nil {
		n.data = nil
		n.mtime = f.now()
	}
	if n.content != nil {
		gen := n.content
		n.mu.Unlock()
		file.snapshot = gen()
	} else {
		n.mu.Unlock()
	}
	return file, nil
}
