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
// argument (-1: none): process creation, every call that names a host path
// (opening, stat, access, xattrs, watches, times, links, mounts, handles),
// signals to other processes, and every call that names a network address
// (connect, bind, sendto, sendmsg, sendmmsg: inspected).
var watched = map[uint32]struct {
	name string
	path int
}{
	unix.SYS_OPEN: {"open", 0}, unix.SYS_OPENAT: {"open", 1}, unix.SYS_OPENAT2: {"open", 1}, unix.SYS_CREAT: {"open", 0},
	unix.SYS_STAT: {"stat", 0}, unix.SYS_LSTAT: {"stat", 0}, unix.SYS_NEWFSTATAT: {"stat", 1}, unix.SYS_STATX: {"stat", 1},
	unix.SYS_STATFS: {"statfs", 0},
	unix.SYS_ACCESS: {"access", 0}, unix.SYS_FACCESSAT: {"access", 1}, unix.SYS_FACCESSAT2: {"access", 1},
	unix.SYS_READLINK: {"readlink", 0}, unix.SYS_READLINKAT: {"readlink", 1},
	unix.SYS_GETXATTR: {"xattr", 0}, unix.SYS_LGETXATTR: {"xattr", 0}, unix.SYS_SETXATTR: {"xattr", 0}, unix.SYS_LSETXATTR: {"xattr", 0},
	unix.SYS_LISTXATTR: {"xattr", 0}, unix.SYS_LLISTXATTR: {"xattr", 0}, unix.SYS_REMOVEXATTR: {"xattr", 0}, unix.SYS_LREMOVEXATTR: {"xattr", 0},
	unix.SYS_GETXATTRAT: {"xattr", 1}, unix.SYS_SETXATTRAT: {"xattr", 1}, unix.SYS_LISTXATTRAT: {"xattr", 1}, unix.SYS_REMOVEXATTRAT: {"xattr", 1},
	unix.SYS_INOTIFY_ADD_WATCH: {"inotify_add_watch", 1}, unix.SYS_FANOTIFY_MARK: {"fanotify_mark", 4},
	unix.SYS_MKDIR: {"mkdir", 0}, unix.SYS_MKDIRAT: {"mkdir", 1}, unix.SYS_RMDIR: {"rmdir", 0},
	unix.SYS_UNLINK: {"unlink", 0}, unix.SYS_UNLINKAT: {"unlink", 1},
	unix.SYS_RENAME: {"rename", 0}, unix.SYS_RENAMEAT: {"rename", 1}, unix.SYS_RENAMEAT2: {"rename", 1},
	unix.SYS_LINK: {"link", 0}, unix.SYS_LINKAT: {"link", 1}, unix.SYS_SYMLINK: {"symlink", 1}, unix.SYS_SYMLINKAT: {"symlink", 2},
	unix.SYS_CHDIR: {"chdir", 0}, unix.SYS_CHROOT: {"chroot", 0},
	unix.SYS_CHMOD: {"chmod", 0}, unix.SYS_FCHMODAT: {"chmod", 1}, unix.SYS_FCHMODAT2: {"chmod", 1},
	unix.SYS_CHOWN: {"chown", 0}, unix.SYS_LCHOWN: {"chown", 0}, unix.SYS_FCHOWNAT: {"chown", 1},
	unix.SYS_TRUNCATE: {"truncate", 0}, unix.SYS_MKNOD: {"mknod", 0}, unix.SYS_MKNODAT: {"mknod", 1},
	unix.SYS_UTIME: {"utime", 0}, unix.SYS_UTIMES: {"utime", 0}, unix.SYS_FUTIMESAT: {"utime", 1}, unix.SYS_UTIMENSAT: {"utime", 1},
	unix.SYS_NAME_TO_HANDLE_AT: {"name_to_handle_at", 1}, unix.SYS_OPEN_BY_HANDLE_AT: {"open_by_handle_at", -1},
	unix.SYS_MOUNT: {"mount", 1}, unix.SYS_UMOUNT2: {"umount", 0}, unix.SYS_PIVOT_ROOT: {"pivot_root", 0},
	unix.SYS_OPEN_TREE: {"open_tree", 1}, unix.SYS_OPEN_TREE_ATTR: {"open_tree", 1}, unix.SYS_MOVE_MOUNT: {"move_mount", 1},
	unix.SYS_FSOPEN: {"fsopen", -1}, unix.SYS_FSPICK: {"fspick", 1}, unix.SYS_MOUNT_SETATTR: {"mount_setattr", 1},
	unix.SYS_SWAPON: {"swapon", 0}, unix.SYS_SWAPOFF: {"swapoff", 0}, unix.SYS_ACCT: {"acct", 0}, unix.SYS_USELIB: {"uselib", 0},
	unix.SYS_EXECVE: {"execve", 0}, unix.SYS_EXECVEAT: {"execve", 1},
	unix.SYS_FORK: {"fork", -1}, unix.SYS_VFORK: {"vfork", -1}, unix.SYS_CLONE3: {"clone3", -1},
	unix.SYS_CLONE: {"clone", -1}, // only without CLONE_THREAD (see the filter)
	unix.SYS_KILL:  {"kill", -1}, unix.SYS_PIDFD_SEND_SIGNAL: {"pidfd_send_signal", -1}, unix.SYS_PTRACE: {"ptrace", -1},
	unix.SYS_CONNECT: {"connect", -1}, unix.SYS_BIND: {"bind", -1},
	unix.SYS_SENDTO: {"sendto", -1}, unix.SYS_SENDMSG: {"sendmsg", -1}, unix.SYS_SENDMMSG: {"sendmmsg", -1},
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
	switch uint32(n.Nr) {
	case unix.SYS_CLONE3:
		// A new thread (glibc's pthread_create, with cgo) is not a new
		// process: struct clone_args starts with its flags.
		if raw := readMem(n.Pid, n.Args[0], 8); len(raw) == 8 && binary.LittleEndian.Uint64(raw)&unix.CLONE_THREAD != 0 {
			return "", true
		}
		return "clone3 (a new process)", false
	case unix.SYS_CONNECT:
		// Only the child's own servers (the API server, the simulated
		// kubelet and its streaming server) may be reached: a loopback
		// address whose port one of the child's listening sockets holds.
		// Any other service of the host, even on loopback, is the host.
		addr, ap, ok := sockaddr(readMem(n.Pid, n.Args[1], int(min(n.Args[2], 128))))
		return "connect " + addr, ok && ap.Addr().Unmap().IsLoopback() && ownListener(n.Pid, ap.Port())
	case unix.SYS_BIND:
		// The child's servers listen on loopback; nothing else is bound.
		addr, ap, ok := sockaddr(readMem(n.Pid, n.Args[1], int(min(n.Args[2], 128))))
		return "bind " + addr, ok && ap.Addr().Unmap().IsLoopback()
	case unix.SYS_SENDTO:
		// A write on a connected socket names no address (the connect
		// was inspected).
		if n.Args[4] == 0 {
			return "", true
		}
		addr, _, _ := sockaddr(readMem(n.Pid, n.Args[4], int(min(n.Args[5], 128))))
		return "sendto " + addr, false
	case unix.SYS_SENDMSG, unix.SYS_SENDMMSG:
		// struct msghdr starts with msg_name and msg_namelen; struct
		// mmsghdr is a msghdr (56 bytes) and a length, 64 bytes in all.
		count, stride := uint64(1), uint64(0)
		if uint32(n.Nr) == unix.SYS_SENDMMSG {
			count, stride = min(n.Args[2], 64), 64
		}
		for i := range count {
			raw := readMem(n.Pid, n.Args[1]+i*stride, 12)
			if len(raw) < 12 {
				return w.name + " (unreadable)", false
			}
			if name := binary.LittleEndian.Uint64(raw); name != 0 {
				addr, _, _ := sockaddr(readMem(n.Pid, name, int(min(binary.LittleEndian.Uint32(raw[8:]), 128))))
				return w.name + " " + addr, false
			}
		}
		return "", true
	}
	if w.path >= 0 {
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

// ownListener reports whether one of pid's sockets listens on TCP port
// port: the socket inodes of /proc/PID/fd matched with the LISTEN entries
// of /proc/PID/net/tcp and tcp6.
func ownListener(pid uint32, port uint16) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if ino, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	want := fmt.Sprintf(":%04X", port)
	for _, table := range []string{"tcp", "tcp6"} {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) > 9 && f[3] == "0A" && strings.HasSuffix(f[1], want) && inodes[f[9]] {
				return true
			}
		}
	}
	return false
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

// sockaddr describes a struct sockaddr and returns its IP address and port
// when it is an internet one.
func sockaddr(raw []byte) (string, netip.AddrPort, bool) {
	if len(raw) < 2 {
		return "?", netip.AddrPort{}, false
	}
	switch binary.LittleEndian.Uint16(raw) {
	case unix.AF_INET:
		if len(raw) < 8 {
			return "?", netip.AddrPort{}, false
		}
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[4:8])), binary.BigEndian.Uint16(raw[2:4]))
		return ap.String(), ap, true
	case unix.AF_INET6:
		if len(raw) < 24 {
			return "?", netip.AddrPort{}, false
		}
		ap := netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw[8:24])), binary.BigEndian.Uint16(raw[2:4]))
		return ap.String(), ap, true
	case unix.AF_UNIX:
		return "unix:" + strings.TrimRight(string(raw[2:]), "\x00"), netip.AddrPort{}, false
	}
	return fmt.Sprintf("family %d", binary.LittleEndian.Uint16(raw)), netip.AddrPort{}, false
}

// dialClose dials TCP with a short timeout and closes what it got (the
// probe's connections).
func dialClose(addr string) error {
	c, err := (&net.Dialer{Timeout: 2 * time.Second}).Dial("tcp", addr)
	if c != nil {
		c.Close()
	}
	return err
}
