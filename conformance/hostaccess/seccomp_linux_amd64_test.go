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

package hostaccess_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls the supervisor hears of, with the index of their path
// argument (-1: none). Process creation, every use of a host path, and
// connect (inspected) and kill (a host process's signal).
var watched = map[uint32]struct {
	name string
	path int
}{
	unix.SYS_OPEN: {"open", 0}, unix.SYS_OPENAT: {"open", 1}, unix.SYS_OPENAT2: {"open", 1}, unix.SYS_CREAT: {"open", 0},
	unix.SYS_STAT: {"stat", 0}, unix.SYS_LSTAT: {"stat", 0}, unix.SYS_NEWFSTATAT: {"stat", 1}, unix.SYS_STATX: {"stat", 1},
	unix.SYS_ACCESS: {"access", 0}, unix.SYS_FACCESSAT: {"access", 1}, unix.SYS_FACCESSAT2: {"access", 1},
	unix.SYS_READLINK: {"readlink", 0}, unix.SYS_READLINKAT: {"readlink", 1},
	unix.SYS_MKDIR: {"mkdir", 0}, unix.SYS_MKDIRAT: {"mkdir", 1}, unix.SYS_RMDIR: {"rmdir", 0},
	unix.SYS_UNLINK: {"unlink", 0}, unix.SYS_UNLINKAT: {"unlink", 1},
	unix.SYS_RENAME: {"rename", 0}, unix.SYS_RENAMEAT: {"rename", 1}, unix.SYS_RENAMEAT2: {"rename", 1},
	unix.SYS_LINK: {"link", 0}, unix.SYS_LINKAT: {"link", 1}, unix.SYS_SYMLINK: {"symlink", 1}, unix.SYS_SYMLINKAT: {"symlink", 2},
	unix.SYS_CHDIR: {"chdir", 0}, unix.SYS_CHROOT: {"chroot", 0}, unix.SYS_CHMOD: {"chmod", 0}, unix.SYS_FCHMODAT: {"chmod", 1},
	unix.SYS_CHOWN: {"chown", 0}, unix.SYS_LCHOWN: {"chown", 0}, unix.SYS_FCHOWNAT: {"chown", 1},
	unix.SYS_TRUNCATE: {"truncate", 0}, unix.SYS_UTIMENSAT: {"utime", 1}, unix.SYS_MKNOD: {"mknod", 0}, unix.SYS_MKNODAT: {"mknod", 1},
	unix.SYS_MOUNT:  {"mount", 1},
	unix.SYS_EXECVE: {"execve", 0}, unix.SYS_EXECVEAT: {"execve", 1},
	unix.SYS_FORK: {"fork", -1}, unix.SYS_VFORK: {"vfork", -1}, unix.SYS_CLONE3: {"clone3", -1},
	unix.SYS_CLONE: {"clone", -1}, // only without CLONE_THREAD (see the filter)
	unix.SYS_KILL:  {"kill", -1}, unix.SYS_PIDFD_SEND_SIGNAL: {"pidfd_send_signal", -1}, unix.SYS_PTRACE: {"ptrace", -1},
	unix.SYS_CONNECT: {"connect", -1},
}

const auditArchX8664 = 0xc000003e

// installFilter makes the kernel hand every watched call of every thread
// of this process to the supervisor, and returns the listener's fd.
func installFilter() (int, error) {
	const (
		ldAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		andK   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
		retK   = unix.BPF_RET | unix.BPF_K
		notify = 0x7fc00000 // SECCOMP_RET_USER_NOTIF
	)
	var nrs []uint32
	for nr := range watched {
		if nr != unix.SYS_CLONE {
			nrs = append(nrs, nr)
		}
	}
	n := len(nrs)
	// 0 ld arch; 1 jeq x86_64 else allow; 2 ld nr; 3 jeq clone -> check;
	// 4..3+n jeq nr -> notify; 4+n allow; 5+n ld args[0]; 6+n and
	// CLONE_THREAD; 7+n jeq 0 -> notify else allow2; 8+n allow; 9+n notify.
	allow, check, allow2, notif := 4+n, 5+n, 8+n, 9+n
	jmp := func(from, to int) uint8 { return uint8(to - from - 1) }
	prog := []unix.SockFilter{
		{Code: ldAbs, K: 4},
		{Code: jeqK, Jt: 0, Jf: jmp(1, allow), K: auditArchX8664},
		{Code: ldAbs, K: 0},
		{Code: jeqK, Jt: jmp(3, check), Jf: 0, K: unix.SYS_CLONE},
	}
	for i, nr := range nrs {
		prog = append(prog, unix.SockFilter{Code: jeqK, Jt: jmp(4+i, notif), Jf: 0, K: nr})
	}
	prog = append(prog,
		unix.SockFilter{Code: retK, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: ldAbs, K: 16},
		unix.SockFilter{Code: andK, K: unix.CLONE_THREAD},
		unix.SockFilter{Code: jeqK, Jt: jmp(7+n, notif), Jf: jmp(7+n, allow2), K: 0},
		unix.SockFilter{Code: retK, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: retK, K: notify},
	)
	if len(prog) != notif+1 {
		return 0, fmt.Errorf("filter has %d instructions, want %d", len(prog), notif+1)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return 0, err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH|unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
		uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return 0, errno
	}
	return int(fd), nil
}

// seccompNotif and seccompNotifResp are struct seccomp_notif and
// seccomp_notif_resp of linux/seccomp.h.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

const userNotifFlagContinue = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE

// supervisor answers the child's watched calls.
type supervisor struct {
	fd    int
	mu    sync.Mutex
	calls []string
}

func newSupervisor(pid, childFD int) (*supervisor, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, childFD, 0)
	if err != nil {
		return nil, err
	}
	return &supervisor{fd: fd}, nil
}

func (s *supervisor) recorded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// serve receives notifications until the child is gone: a connection to
// loopback proceeds, anything else is refused (EPERM) and recorded.
func (s *supervisor) serve() {
	defer unix.Close(s.fd)
	for {
		var n seccompNotif
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s.fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n))); errno != 0 {
			if errno == unix.EINTR {
				continue
			}
			return
		}
		desc, allowed := s.inspect(&n)
		resp := seccompNotifResp{ID: n.ID}
		if allowed {
			resp.Flags = userNotifFlagContinue
		} else {
			resp.Error = -int32(unix.EPERM)
			s.mu.Lock()
			s.calls = append(s.calls, desc)
			s.mu.Unlock()
		}
		unix.Syscall(unix.SYS_IOCTL, uintptr(s.fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
	}
}

func (s *supervisor) inspect(n *seccompNotif) (string, bool) {
	w := watched[uint32(n.Nr)]
	switch {
	case uint32(n.Nr) == unix.SYS_CLONE3:
		// A new thread (glibc's pthread_create, with cgo) is not a new
		// process: struct clone_args starts with its flags.
		if raw := readMem(n.Pid, n.Args[0], 8); len(raw) == 8 && binary.LittleEndian.Uint64(raw)&unix.CLONE_THREAD != 0 {
			return "", true
		}
		return "clone3 (a new process)", false
	case uint32(n.Nr) == unix.SYS_CONNECT:
		raw := readMem(n.Pid, n.Args[1], int(min(n.Args[2], 128)))
		addr, loopback := sockaddr(raw)
		return "connect " + addr, loopback
	case w.path >= 0:
		p := readString(n.Pid, n.Args[w.path])
		// An fd-relative call with an empty path is about an open
		// descriptor, not a path (fstatat(fd, "", AT_EMPTY_PATH)).
		if n.Args[w.path] == 0 || p == "" {
			return "", true
		}
		// The one host path the harness itself touches: Ginkgo's
		// os.Getwd (code locations of specs) stats the working directory,
		// as "." and as $PWD.
		if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", n.Pid)); w.name == "stat" && (p == "." || p == cwd) {
			return "", true
		}
		return fmt.Sprintf("%s %q", w.name, p), false
	}
	return fmt.Sprintf("%s (args %#x)", w.name, n.Args[:2]), false
}

func readMem(pid uint32, addr uint64, n int) []byte {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil || n <= 0 {
		return nil
	}
	defer f.Close()
	buf := make([]byte, n)
	m, _ := f.ReadAt(buf, int64(addr))
	return buf[:m]
}

func readString(pid uint32, addr uint64) string {
	if addr == 0 {
		return ""
	}
	b := readMem(pid, addr, 4096)
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// sockaddr describes a struct sockaddr and whether it is a loopback one.
func sockaddr(raw []byte) (string, bool) {
	if len(raw) < 2 {
		return "?", false
	}
	switch binary.LittleEndian.Uint16(raw) {
	case unix.AF_INET:
		if len(raw) < 8 {
			return "?", false
		}
		ip := netip.AddrFrom4([4]byte(raw[4:8]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(raw[2:4])).String(), ip.IsLoopback()
	case unix.AF_INET6:
		if len(raw) < 24 {
			return "?", false
		}
		ip := netip.AddrFrom16([16]byte(raw[8:24]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(raw[2:4])).String(), ip.Unmap().IsLoopback()
	case unix.AF_UNIX:
		return "unix:" + strings.TrimRight(string(raw[2:]), "\x00"), false
	}
	return fmt.Sprintf("family %d", binary.LittleEndian.Uint16(raw)), false
}

// netDialer dials TCP with a short timeout (the probe's connection).
type netDialer struct{}

func (netDialer) dial(addr string) (net.Conn, error) {
	return (&net.Dialer{Timeout: 2 * time.Second}).Dial("tcp", addr)
}
