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

// Package runtime is the container runtime of Ephemera's simulated node,
// what containerd and runc are to a kubelet: pod sandboxes with their PID
// namespaces, containers with their filesystems (package vfs) and logs, and
// processes whose programs are busybox applets (package busybox) and its
// shell (package shell), run as goroutines of this Go process.
//
// It serves exec and attach as containerd's CRI streaming server does
// (Exec and Attach are k8s.io/cri-streaming's streaming.Runtime), and tells
// its owner when a container's PID 1 exits and with which code; what that
// means for the pod's status is the kubelet's business.
//
// Nothing in a simulated container reaches the host: no host process is
// started, no host file is read or written, no host network connection is
// opened.
package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
)

// Options configure a Runtime.
type Options struct {
	// Node is the node's name; KernelRelease and KernelVersion are what
	// uname reports in its containers.
	Node          string
	KernelRelease string
	KernelVersion string
	// OnExit is called (in its own goroutine) when a container's PID 1 has
	// exited.
	OnExit func(c *Container)
	// Resolve answers DNS queries from pods (nslookup); nil: no server
	// answers, as in a cluster without cluster DNS.
	Resolve func(ctx context.Context, server, name, qtype string) ([]string, error)
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Runtime is one node's container runtime.
type Runtime struct {
	opts Options
	boot time.Time

	mu         sync.Mutex
	sandboxes  map[string]*Sandbox
	containers map[string]*Container
}

// New returns an empty runtime.
func New(opts Options) *Runtime {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KernelRelease == "" {
		opts.KernelRelease = "6.8.0-ephemera"
	}
	if opts.KernelVersion == "" {
		opts.KernelVersion = "#1 SMP PREEMPT_DYNAMIC @0"
	}
	return &Runtime{opts: opts, boot: opts.Now(), sandboxes: map[string]*Sandbox{}, containers: map[string]*Container{}}
}

func (r *Runtime) now() time.Time { return r.opts.Now() }

// productUUID is the node's product UUID, derived from its name.
func (r *Runtime) productUUID() string {
	s := sha256.Sum256([]byte("product-uuid/" + r.opts.Node))
	h := hex.EncodeToString(s[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// errNoDNS is what a query gets when no nameserver answers.
var errNoDNS = errors.New("connection timed out; no servers could be reached")

func (r *Runtime) resolve(ctx context.Context, server, name, qtype string) ([]string, error) {
	if r.opts.Resolve == nil {
		return nil, errNoDNS
	}
	return r.opts.Resolve(ctx, server, name, qtype)
}

// Container finds a container by ID (running or exited, until its sandbox
// is removed).
func (r *Runtime) Container(id string) (*Container, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	return c, ok
}

// Sandbox returns the sandbox of a pod, or false.
func (r *Runtime) Sandbox(uid string) (*Sandbox, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[uid]
	return s, ok
}

// RemovePodSandbox kills every process of the pod and forgets it.
func (r *Runtime) RemovePodSandbox(uid string) {
	r.mu.Lock()
	s, ok := r.sandboxes[uid]
	delete(r.sandboxes, uid)
	var ctrs []*Container
	for id, c := range r.containers {
		if c.sb == s {
			ctrs = append(ctrs, c)
			delete(r.containers, id)
		}
	}
	r.mu.Unlock()
	if !ok {
		return
	}
	for _, c := range ctrs {
		c.kill()
	}
	if s.shared != nil {
		s.shared.killAll(nil)
	}
}

// Shutdown kills every container (the node stops).
func (r *Runtime) Shutdown() {
	r.mu.Lock()
	var uids []string
	for uid := range r.sandboxes {
		uids = append(uids, uid)
	}
	r.mu.Unlock()
	for _, uid := range uids {
		r.RemovePodSandbox(uid)
	}
}

// PortForward is not served: simulated containers listen on nothing.
func (r *Runtime) PortForward(ctx context.Context, podSandboxID string, port int32, stream io.ReadWriteCloser) error {
	return fmt.Errorf("port forwarding is not supported by Ephemera's simulated runtime")
}

func (c *Container) uname() busybox.Uname {
	o := c.rt.opts
	return busybox.Uname{Sysname: "Linux", Nodename: c.sb.cfg.Hostname, Release: o.KernelRelease, Version: o.KernelVersion, Machine: "x86_64"}
}
