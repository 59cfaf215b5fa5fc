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
	"context"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// SandboxConfig describes a pod's sandbox.
type SandboxConfig struct {
	UID       string
	Namespace string
	Name      string
	// Hostname is the pod's UTS name (spec.hostname, else its name).
	Hostname string
	// ShareProcessNamespace gives the pod one PID namespace, whose PID 1
	// is the pause container.
	ShareProcessNamespace bool
}

// Sandbox is a pod's sandbox: its shared PID namespace, if any, and its
// containers by name (the latest instance of each).
type Sandbox struct {
	rt     *Runtime
	cfg    SandboxConfig
	shared *pidNamespace
	byName map[string]*Container
}

// RunPodSandbox returns the pod's sandbox, creating it (and with a shared
// PID namespace, its pause process) the first time.
func (r *Runtime) RunPodSandbox(cfg SandboxConfig) *Sandbox {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.sandboxes[cfg.UID]; ok {
		return s
	}
	s := &Sandbox{rt: r, cfg: cfg, byName: map[string]*Container{}}
	if cfg.ShareProcessNamespace {
		s.shared = newPIDNamespace()
		// The pause container (registry.k8s.io/pause) is PID 1 and runs as
		// 65535; it exits on SIGINT and SIGTERM.
		pause := &Container{rt: r, sb: s, ns: s.shared, fs: vfs.New(vfs.NewDir(0o755, r.now()), r.now),
			done: make(chan struct{}), log: newContainerLog(r.now)}
		p := s.shared.newProcess(context.Background(), pause, 0, []string{"/pause"}, vfs.Caller{Cwd: "/", UID: 65535, GID: 65535}, r.now())
		pause.init = p
		stop := func(syscall.Signal) { p.terminate(syscall.SIGTERM) }
		p.handle(syscall.SIGTERM, stop)
		p.handle(syscall.SIGINT, stop)
	}
	r.sandboxes[cfg.UID] = s
	return s
}

// Mount is a file or directory the kubelet puts into a container.
type Mount struct {
	Path string
	Node *vfs.Node
}

// ContainerConfig describes a container to create.
type ContainerConfig struct {
	// ID is the runtime's ID (64 hex digits, without "containerd://").
	ID    string
	Name  string
	Image string
	// Args is the command line of PID 1 (the image's entrypoint and
	// command resolved with the spec's command and args).
	Args       []string
	Env        []string
	WorkingDir string
	UID, GID   int
	Groups     []int
	Stdin      bool
	StdinOnce  bool
	TTY        bool
	// TargetContainerName makes the container join that container's PID
	// namespace (an ephemeral container's targetContainerName).
	TargetContainerName string
	// Mounts are placed into the image's filesystem.
	Mounts []Mount
	// Program, if set, runs as PID 1 instead of Args (which ps still
	// shows): a rule's outcome, or an image whose programs Ephemera does
	// not have.
	Program func(ctx context.Context, stdout, stderr func(string)) int
}

// CreateContainer creates a container of the pod (not started). With a
// target whose namespace is not known the container gets its own.
func (s *Sandbox) CreateContainer(cfg ContainerConfig) (*Container, error) {
	r := s.rt
	now := r.now()
	c := &Container{rt: r, sb: s, cfg: cfg, done: make(chan struct{}), log: newContainerLog(r.now), created: now}
	switch {
	case s.shared != nil:
		c.ns = s.shared
	case cfg.TargetContainerName != "":
		r.mu.Lock()
		target := s.byName[cfg.TargetContainerName]
		r.mu.Unlock()
		if target != nil {
			c.ns = target.ns
		}
	}
	if c.ns == nil {
		c.ns = newPIDNamespace()
		c.ownNS = true
	}
	c.fs = vfs.New(imageRoot(cfg.Image, now), r.now)
	c.fs.Mount("/proc", vfs.NewDynamic(0o555, now, procFS{ctr: c}))
	c.fs.Mount("/dev", devDir(now))
	sys := vfs.NewDir(0o555, now).SetFSType(vfs.Pseudo)
	for _, d := range []string{"block", "bus", "class", "dev", "devices", "firmware", "fs", "kernel", "module", "power"} {
		sys.Add(d, vfs.NewDir(0o755, now).SetFSType(vfs.Pseudo))
	}
	c.fs.Mount("/sys", sys)
	// kind's nodes give every container the node's product UUID.
	c.fs.Mount("/product_uuid", vfs.NewFile([]byte(r.productUUID()+"\n"), 0o644, now))
	for _, m := range cfg.Mounts {
		c.fs.Mount(m.Path, m.Node)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.containers[cfg.ID]; dup {
		return nil, fmt.Errorf("container %q already exists", cfg.ID)
	}
	r.containers[cfg.ID] = c
	s.byName[cfg.Name] = c
	return c, nil
}

// devDir is the /dev runc sets up: the standard devices and links.
func devDir(now time.Time) *vfs.Node {
	d := vfs.NewDir(0o755, now).SetFSType(vfs.Tmpfs)
	for _, dv := range []struct {
		name         string
		dev          vfs.Device
		major, minor int
	}{{"null", vfs.Null, 1, 3}, {"zero", vfs.Zero, 1, 5}, {"full", vfs.Full, 1, 7}, {"random", vfs.Random, 1, 8},
		{"urandom", vfs.Random, 1, 9}, {"tty", vfs.Null, 5, 0}} {
		d.Add(dv.name, vfs.NewDevice(dv.dev, dv.major, dv.minor, 0o666, now))
	}
	d.Add("pts", vfs.NewDir(0o755, now).SetFSType(vfs.Pseudo))
	d.Add("shm", vfs.NewDir(0o777|fs.ModeSticky, now).SetFSType(vfs.Tmpfs))
	d.Add("mqueue", vfs.NewDir(0o777|fs.ModeSticky, now).SetFSType(vfs.Tmpfs))
	d.Add("fd", vfs.NewSymlink("/proc/self/fd", now))
	d.Add("stdin", vfs.NewSymlink("/proc/self/fd/0", now))
	d.Add("stdout", vfs.NewSymlink("/proc/self/fd/1", now))
	d.Add("stderr", vfs.NewSymlink("/proc/self/fd/2", now))
	d.Add("ptmx", vfs.NewSymlink("pts/ptmx", now))
	return d
}

// Container is the latest container of the pod with this name.
func (s *Sandbox) Container(name string) (*Container, bool) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	c, ok := s.byName[name]
	return c, ok
}
