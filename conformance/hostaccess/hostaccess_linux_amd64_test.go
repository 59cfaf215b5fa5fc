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
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/conformance"
)

// TestNoHostAccess proves that the simulated containers never reach the
// host. The whole kubelet tier of the suite runs in a child process of this
// test (Ephemera in cluster mode, the API client and the simulated kubelet
// all in that one process), followed by every busybox golden case and a set
// of hostile scripts (workload_linux_amd64_test.go) run in simulated
// containers. Before the tier starts, the child installs a seccomp filter
// whose every process-creating (fork, vfork, clone without CLONE_THREAD,
// clone3, execve), path-naming (open, stat, access, readlink, xattrs,
// inotify, every create, remove, rename, link, chmod, chown, time and mount
// call), signalling (kill, pidfd_send_signal, ptrace) and address-naming
// (connect, bind, sendto, sendmsg, sendmmsg) system call is handed to this
// process, the supervisor (seccomp_unotify(2)). The supervisor reads the
// call's arguments from the child's memory, refuses it (EPERM) and records
// it; the only calls let through are connections to a loopback port one of
// the child's own sockets listens on (its API server, kubelet and streaming
// server: any other service of the host, even on loopback, is refused),
// binds to loopback, and Ginkgo's stat of the working directory. The run
// passes only if nothing was recorded, every scenario passed and the whole
// workload ran.
//
// Why seccomp rather than only checking the runtime's seams: the runtime
// does reach files and commands through interfaces (the interpreter's open,
// stat, readdir, access and exec handlers answer from the container's vfs
// and busybox applets, and kubelet/runtime's sandbox test checks that no
// package of it calls the host's), but an interface check only sees the
// calls it knows of; a library's fallback (mvdan.cc/sh's default handlers,
// os/user, a forgotten os.Getwd) goes around it. The kernel sees every
// system call of every thread, whatever library made it, so counting child
// processes or watching /proc would only be a weaker form of this same
// check (they miss a short-lived process and every file access), and
// refusing the call rather than observing it afterwards means a leak fails
// the test before anything on the host changes.
//
// So that the check can fail, a probe child first does what the simulation
// must never do (reads /etc/hostname, starts /bin/true, connects to a
// non-loopback address and to a loopback port it does not own, sends a UDP
// datagram), and the supervisor must catch each.
func TestNoHostAccess(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child process")
	}
	t.Run("probe", func(t *testing.T) {
		// A host service on loopback that the child does not own.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		t.Setenv(hostServiceEnv, l.Addr().String())
		calls, out, err := superviseChild(t, "probe")
		t.Logf("child output:\n%s", out)
		if err == nil {
			t.Errorf("the probe child succeeded although its host access was refused")
		}
		// Starting /bin/true is refused at its first step: the fork
		// (clone3, or clone/vfork without CLONE_THREAD) or the execve.
		for _, want := range [][]string{{`open "/etc/hostname"`}, {"clone3", "vfork", "clone ", "fork", `execve "/bin/true"`},
			{"connect 192.0.2.1:80"}, {"connect " + l.Addr().String()}, {"sendto 192.0.2.1:53"}} {
			found := false
			for _, c := range calls {
				for _, w := range want {
					if strings.HasPrefix(c, w) {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("the supervisor did not catch any of %q; it recorded %q", want, calls)
			}
		}
	})
	t.Run("kubelet tier", func(t *testing.T) {
		calls, out, err := superviseChild(t, "tier")
		if err != nil || len(calls) > 0 {
			t.Logf("child output:\n%s", out)
		}
		if err != nil {
			t.Errorf("the kubelet tier failed under the sandbox: %v", err)
		}
		for _, c := range calls {
			t.Errorf("host access during the kubelet tier: %s", c)
		}
		if err == nil {
			t.Logf("kubelet tier under seccomp supervision: %s; %s", summaryLine(out, "Ran "), summaryLine(out, "WORKLOAD "))
		}
	})
}

func summaryLine(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(l)
		}
	}
	return "(no " + prefix + "line)"
}

const (
	childEnv       = "EPHEMERA_HOSTACCESS_CHILD"
	hostServiceEnv = "EPHEMERA_HOSTACCESS_HOST_SERVICE"
)

// superviseChild runs TestNoHostAccessChild in a child process in mode,
// services its seccomp notifications, and returns what it caught.
func superviseChild(t *testing.T, mode string) ([]string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNoHostAccessChild$", "-test.v", "-test.timeout=20m",
		"-ginkgo.label-filter=kubelet", "-ginkgo.no-color")
	// MALLOC_ARENA_MAX: built with cgo (go test's default where a C compiler
	// is found; make test builds without), the test binary links glibc. The
	// first time a thread other than the main one needs a malloc arena,
	// glibc sizes its arena limit by the number of CPUs (arena_get2,
	// __get_nprocs), reading /sys/devices/system/cpu/online and then
	// /proc/stat: a host read by the C library, not by the simulation, at a
	// moment that depends on which OS thread first runs C code (seen once
	// after the filter was in place). With arena_max set glibc takes the
	// limit from it and reads nothing.
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "MALLOC_ARENA_MAX=2")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var sup *supervisor
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if testing.Verbose() {
			// Live, for a long run (the tier takes minutes).
			fmt.Println("child:", line)
		}
		if fd, ok := strings.CutPrefix(line, "SECCOMP-LISTENER "); ok {
			n, _ := strconv.Atoi(fd)
			sup, err = newSupervisor(cmd.Process.Pid, n)
			if err != nil {
				cmd.Process.Kill()
				t.Fatalf("taking the child's seccomp listener: %v", err)
			}
			go sup.serve()
		}
	}
	err = cmd.Wait()
	if sup == nil {
		t.Fatalf("the child never installed its seccomp filter:\n%s", out.String())
	}
	return sup.recorded(), out.String(), err
}

// TestNoHostAccessChild is the child of TestNoHostAccess: it starts
// Ephemera in cluster mode, installs the filter, then runs the probe or the
// kubelet tier. It does nothing when run on its own.
func TestNoHostAccessChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper process of TestNoHostAccess")
	}
	scripts, err := workload()
	if err != nil {
		t.Fatal(err)
	}
	env := &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	// Things the Go runtime and libraries load once, lazily, from the host
	// (the local time zone): done before the filter.
	_ = time.Now().Local().String()
	fd, err := installFilter()
	if err != nil {
		t.Fatalf("installing the seccomp filter: %v", err)
	}
	fmt.Printf("SECCOMP-LISTENER %d\n", fd)
	// Wait for the supervisor: the next filtered call blocks until it
	// answers, so it must be listening first.
	time.Sleep(200 * time.Millisecond)
	if mode == "probe" {
		_, err1 := os.ReadFile("/etc/hostname")
		cmd := exec.Command("/bin/true")
		// Pipes, so that starting it opens no /dev/null first.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), io.Discard, io.Discard
		err2 := cmd.Run()
		err3 := dialClose("192.0.2.1:80")
		err4 := dialClose(os.Getenv(hostServiceEnv))
		fd, err5 := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err5 == nil {
			err5 = unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Port: 53, Addr: [4]byte{192, 0, 2, 1}})
			unix.Close(fd)
		}
		t.Fatalf("probe: open: %v; exec: %v; connect: %v; connect to a host service: %v; sendto: %v", err1, err2, err3, err4, err5)
	}
	ok := conformance.Run(t, &conformance.Options{Targets: []conformance.Target{startedTarget{cfg}}})
	if !ok {
		t.Fail()
	}
	n, err := runWorkload(scripts)
	fmt.Printf("WORKLOAD %d of %d scripts (busybox golden cases and hostile ones) ran in simulated containers\n", n, len(scripts))
	if err != nil {
		t.Errorf("workload: %v", err)
	}
}

// startedTarget is Ephemera in cluster mode, started before the filter.
type startedTarget struct{ cfg *rest.Config }

func (s startedTarget) Name() string { return "ephemera-kubelet" }
func (s startedTarget) Start(context.Context) (*rest.Config, error) {
	return rest.CopyConfig(s.cfg), nil
}
func (s startedTarget) Stop() error { return nil }
func (s startedTarget) Capabilities() conformance.Capabilities {
	return conformance.Capabilities{Kubelet: true}
}
