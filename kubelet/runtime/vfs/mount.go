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

import "syscall"

// Mount puts node at the absolute path p, creating missing parent
// directories, as a bind mount does.
func (f *FS) Mount(p string, node *Node) {
	dir := f.root
	parts := splitPath(p)
	markMerged := func(d *Node) {
		d.mu.Lock()
		if d.fstype == Disk {
			d.merged = true
		}
		d.mu.Unlock()
	}
	markMerged(dir)
	for _, comp := range parts[:len(parts)-1] {
		next := dir.lookup(Root, comp)
		if next == nil {
			next = dir.Add(comp, NewDir(0o755, f.now()))
		}
		dir = next
		markMerged(dir)
	}
	dir.Add(parts[len(parts)-1], node)
}

// Lookup returns the node at an absolute path (following links), or nil.
func (f *FS) Lookup(p string) *Node {
	r, err := f.resolve(Root, "lookup", p, true)
	if err != nil {
		return nil
	}
	return r.node
}

// Executable resolves name as execve(2) would: the program the file is
// (see NewProgram; "" for any other file, such as a script), or ENOENT,
// ENOTDIR, or EACCES for a directory or a file without execute permission.
func (f *FS) Executable(c *Caller, name string) (string, error) {
	r, err := f.resolve(c, "execve", name, true)
	if err != nil {
		return "", err
	}
	if r.node == nil {
		return "", pathErr("execve", name, syscall.ENOENT)
	}
	if !r.node.mode.IsRegular() || !permitted(c, r.node, 1) {
		return "", pathErr("execve", name, syscall.EACCES)
	}
	r.node.mu.Lock()
	defer r.node.mu.Unlock()
	return r.node.program, nil
}
