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
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"syscall"
)

// File is an open file.
type File struct {
	mu       sync.Mutex // a file may be read and closed by different goroutines
	fs       *FS
	n        *Node
	name     string
	flag     int
	off      int64
	snapshot []byte // a generated file's content, fixed when opened
	closed   bool
}

// Read reads from the current offset; a device reads from its driver.
func (f *File) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, syscall.EBADF)
	}
	if f.flag&os.O_WRONLY != 0 {
		return 0, pathErr("read", f.name, syscall.EBADF)
	}
	if f.n.dev != nil {
		return f.n.dev.Read(p)
	}
	if f.n.mode.IsDir() {
		return 0, pathErr("read", f.name, syscall.EISDIR)
	}
	var data []byte
	switch {
	case f.n.content != nil:
		data = f.snapshot
	case f.n.program != "":
		return f.readProgram(p)
	default:
		f.n.mu.Lock()
		defer f.n.mu.Unlock()
		data = f.n.data
	}
	if f.off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(p, data[f.off:])
	f.off += int64(n)
	return n, nil
}

// Write writes at the offset, or at the end with O_APPEND.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	if f.flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	if f.n.dev != nil {
		return f.n.dev.Write(p)
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	if f.flag&os.O_APPEND != 0 {
		f.off = int64(len(f.n.data))
	}
	end := f.off + int64(len(p))
	if end > int64(len(f.n.data)) {
		grown := make([]byte, end)
		copy(grown, f.n.data)
		f.n.data = grown
	}
	copy(f.n.data[f.off:], p)
	f.off = end
	f.n.mtime = f.fs.now()
	return len(p), nil
}

// Seek sets the offset (io.Seeker).
func (f *File) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var base int64
	switch whence {
	case io.SeekCurrent:
		base = f.off
	case io.SeekEnd:
		f.n.mu.Lock()
		base = int64(len(f.n.data))
		f.n.mu.Unlock()
	}
	if base+offset < 0 {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	f.off = base + offset
	return f.off, nil
}

// Close closes the file.
func (f *File) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// Stat describes the open file.
func (f *File) Stat() (fs.FileInfo, error) {
	return f.n.info(Root, path.Base(f.name)), nil
}

// errnoText is glibc's strerror for the errors a simulated process meets.
var errnoText = map[syscall.Errno]string{
	syscall.EPERM:     "Operation not permitted",
	syscall.ENOENT:    "No such file or directory",
	syscall.ESRCH:     "No such process",
	syscall.EINTR:     "Interrupted system call",
	syscall.EIO:       "I/O error",
	syscall.EBADF:     "Bad file descriptor",
	syscall.EACCES:    "Permission denied",
	syscall.EBUSY:     "Device or resource busy",
	syscall.EEXIST:    "File exists",
	syscall.ENOTDIR:   "Not a directory",
	syscall.EISDIR:    "Is a directory",
	syscall.EINVAL:    "Invalid argument",
	syscall.ENOSPC:    "No space left on device",
	syscall.EROFS:     "Read-only file system",
	syscall.EPIPE:     "Broken pipe",
	syscall.ENOTEMPTY: "Directory not empty",
	syscall.ELOOP:     "Too many levels of symbolic links",
	syscall.ENOSYS:    "Function not implemented",
	syscall.EXDEV:     "Invalid cross-device link",
}

// Strerror is the C library's message for err's errno (the text busybox
// prints after "ls: /x: "); other errors print as themselves.
func Strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if t, ok := errnoText[errno]; ok {
			return t
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

var elfHeader = []byte{0x7f, 'E', 'L', 'F', 2, 1, 1}

func (f *File) readProgram(p []byte) (int, error) {
	if f.off >= f.n.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.n.size-f.off))
	clear(p[:n])
	if f.off < int64(len(elfHeader)) {
		copy(p[:n], elfHeader[f.off:])
	}
	f.off += int64(n)
	return n, nil
}
