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

package kubelet

import (
	"context"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/ephemera-dev/ephemera/internal/imageref"
	"github.com/ephemera-dev/ephemera/kubelet/runtime"
	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// nodeRuntime is the node's container runtime as the kubelet uses it: the
// runtime itself (package runtime), the kubelet's HTTP server in front of
// it, what it needs to build containers (services for their environment,
// the files it writes per pod), and which runtime container is which
// container of the simulation.
type nodeRuntime struct {
	rt       *runtime.Runtime
	server   *server
	services corelisters.ServiceLister
	// servicesSynced reports whether the service informer has listed once.
	servicesSynced func() bool

	mu        sync.Mutex
	byID      map[string]rtRef
	files     map[types.UID]*podFiles
	emptyDirs map[string]*vfs.Node // by pod UID and volume name
	// started is closed when the pod's latest container has started in
	// the runtime: the next one waits for it.
	started map[types.UID]chan struct{}
}

// rtRef ties a runtime container to the simulation's record of it.
type rtRef struct {
	key string    // namespace/name of the pod
	uid types.UID // the pod's UID
	c   *ctrState
}

func newNodeRuntime(k *Kubelet) *nodeRuntime {
	n := &nodeRuntime{byID: map[string]rtRef{}, files: map[types.UID]*podFiles{}, emptyDirs: map[string]*vfs.Node{},
		started: map[types.UID]chan struct{}{}}
	n.rt = runtime.New(runtime.Options{
		Node:          k.opts.NodeName,
		KernelRelease: "6.8.0-ephemera",
		OnExit:        k.containerExited,
		Resolve:       clusterDNS,
	})
	n.server = &server{k: k}
	return n
}

// clusterDNS is what the cluster DNS address answers a pod of the kind e2e
// cluster: NXDOMAIN for every name (it runs no CoreDNS; what answers there
// knows no name).
func clusterDNS(ctx context.Context, server, name, qtype string) ([]string, error) {
	return nil, busybox.ErrNXDOMAIN
}

// podFiles are the files the kubelet writes once per pod and mounts into
// each of its containers: /etc/hosts, /etc/hostname, /etc/resolv.conf.
type podFiles struct {
	hosts, hostname, resolv *vfs.Node
}

// startContainer starts a container whose start time has come: its rule's
// program, or its command run by the runtime. Call with k.mu held: what it
// needs is copied, and the container is built and started in the
// background (volumes may need the API).
func (k *Kubelet) startContainer(pod *corev1.Pod, st *podState, c *ctrState) {
	pod = pod.DeepCopy()
	spec := containerSpec(pod, c.name)
	if spec == nil {
		return
	}
	podIP := st.podIP
	cfg := runtime.ContainerConfig{
		ID: strings.TrimPrefix(c.containerID, "containerd://"), Name: c.name, Image: c.image,
		Args: commandLine(spec), WorkingDir: spec.WorkingDir,
		UID: int(c.user.Linux.UID), GID: int(c.user.Linux.GID), Stdin: spec.Stdin, StdinOnce: spec.StdinOnce, TTY: spec.TTY,
		TargetContainerName: targetOf(pod, c.name),
	}
	for _, g := range c.user.Linux.SupplementalGroups {
		cfg.Groups = append(cfg.Groups, int(g))
	}
	switch o := c.outcome; {
	case o.Output != "" || o.exits():
		cfg.Program = ruleProgram(o)
	case len(cfg.Args) == 0 && isBusybox(c.image):
		cfg.Args = []string{"sh"} // the image's CMD
	case len(cfg.Args) == 0 || !isBusybox(c.image) && !runnable(cfg.Args):
		// An image whose programs Ephemera does not have: its process
		// runs until it is stopped, as a server would, under the image's
		// name.
		cfg.Program = func(ctx context.Context, _, _ func(string)) int { <-ctx.Done(); return 0 }
		if len(cfg.Args) == 0 {
			repo := imageref.Repository(c.image)
			cfg.Args = []string{repo[strings.LastIndex(repo, "/")+1:]}
		}
	}
	// The kubelet starts a pod's containers one after the other, in the
	// order it decided to start them (pkg/kubelet/kuberuntime
	// kuberuntime_manager.go SyncPod, its start loop): so a shared PID
	// namespace numbers them in that order.
	k.node.mu.Lock()
	k.node.byID[cfg.ID] = rtRef{key: pod.Namespace + "/" + pod.Name, uid: pod.UID, c: c}
	prev, done := k.node.started[pod.UID], make(chan struct{})
	k.node.started[pod.UID] = done
	k.node.mu.Unlock()
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		k.runContainer(pod, spec, podIP, cfg, c)
	}()
}

// runContainer creates the container in the runtime and starts it.
func (k *Kubelet) runContainer(pod *corev1.Pod, spec *corev1.Container, podIP string, cfg runtime.ContainerConfig, c *ctrState) {
	n := k.node
	hostname := podHostname(pod)
	k.waitForServices()
	cfg.Env = k.containerEnv(pod, spec, podIP, hostname)
	files := k.podFiles(pod, podIP, hostname)
	now := time.Now()
	cfg.Mounts = []runtime.Mount{
		{Path: "/etc/hosts", Node: files.hosts},
		{Path: "/etc/hostname", Node: files.hostname},
		{Path: "/etc/resolv.conf", Node: files.resolv},
	}
	if p := spec.TerminationMessagePath; p != "" {
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{Path: p, Node: vfs.NewFile(nil, 0o666, now)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	cfg.Mounts = append(cfg.Mounts, k.volumeMounts(ctx, pod, spec)...)
	cancel()
	k.mu.Lock()
	current := k.pods[pod.UID] != nil && c.containerID == "containerd://"+cfg.ID
	k.mu.Unlock()
	if !current {
		return // the pod is gone, or the attempt was superseded meanwhile
	}
	sb := n.rt.RunPodSandbox(runtime.SandboxConfig{UID: string(pod.UID), Namespace: pod.Namespace, Name: pod.Name,
		Hostname: hostname, ShareProcessNamespace: pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace})
	rc, err := sb.CreateContainer(cfg)
	if err != nil {
		return
	}
	// A PID 1 runc cannot execute is reported through containerExited.
	_ = rc.Start()
	// The pod may have been deleted while the container was being built
	// (services, volumes): syncDeleted's stop found nothing in the runtime
	// then, so the kill is delivered here. Checked after the start, so
	// that one of the two always sees the other; a second SIGTERM is
	// harmless.
	k.mu.Lock()
	killAt := c.killAt
	k.mu.Unlock()
	if killAt != nil {
		rc.Stop(max(time.Until(*killAt), 0))
	}
}

// waitForServices waits (a few seconds at most) until the services are
// known, since they go into every container's environment: the kubelet
// builds no environment before its service informer has synced
// (kubelet_pods.go getServiceEnvVarMap: "services have not yet been read
// at least once"). It also waits for default/kubernetes, whose variables
// every container gets: on a real node the kubelet starts long after
// kube-apiserver created it, while in-process the server's controller
// creates it just after the start.
func (k *Kubelet) waitForServices() {
	n := k.node
	if n.services == nil || n.servicesSynced == nil {
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if !n.servicesSynced() {
			continue
		}
		if _, err := n.services.Services(metav1.NamespaceDefault).Get("kubernetes"); err == nil {
			return
		}
	}
}

// containerExited records a PID 1's exit and has the pod synced.
func (k *Kubelet) containerExited(rc *runtime.Container) {
	n := k.node
	n.mu.Lock()
	ref, ok := n.byID[rc.ID()]
	n.mu.Unlock()
	if !ok {
		return
	}
	code, at := rc.Exit()
	k.mu.Lock()
	// Only the current attempt's end counts: a restart gives the container
	// a new ID, and the previous attempt's PID 1 may report its end late.
	if ref.c.finished == nil && ref.c.containerID == "containerd://"+rc.ID() {
		ref.c.finished, ref.c.exitCode = &at, int32(code)
		ref.c.startError = rc.StartErr()
	}
	k.mu.Unlock()
	k.queue.Add(ref.key)
}

// ruleProgram plays a rule's outcome: its output, then its exit after
// ExitAfter, or running until stopped.
func ruleProgram(o Outcome) func(ctx context.Context, stdout, stderr func(string)) int {
	return func(ctx context.Context, stdout, _ func(string)) int {
		if o.Output != "" {
			stdout(o.Output)
		}
		if !o.exits() {
			<-ctx.Done()
			return 0
		}
		t := time.NewTimer(time.Duration(o.ExitAfter))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return int(o.exitCode())
	}
}

// isBusybox reports whether the image is busybox, whose every program the
// simulated runtime has.
func isBusybox(image string) bool {
	return imageref.Repository(image) == "docker.io/library/busybox"
}

// runnable reports whether a command names something the simulated
// filesystem has (a busybox applet or the shell).
func runnable(args []string) bool {
	if len(args) == 0 {
		return false
	}
	name := args[0][strings.LastIndex(args[0], "/")+1:]
	_, ok := busybox.Lookup(name)
	return ok
}

// commandLine is PID 1's command line from the spec: command and args.
func commandLine(c *corev1.Container) []string {
	return append(append([]string(nil), c.Command...), c.Args...)
}

func containerSpec(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		ec := &pod.Spec.EphemeralContainers[i]
		if ec.Name == name {
			c := corev1.Container(ec.EphemeralContainerCommon)
			return &c
		}
	}
	return nil
}

func targetOf(pod *corev1.Pod, name string) string {
	for _, ec := range pod.Spec.EphemeralContainers {
		if ec.Name == name {
			return ec.TargetContainerName
		}
	}
	return ""
}

// podHostname is GeneratePodHostNameAndDomain's hostname.
func podHostname(pod *corev1.Pod) string {
	if pod.Spec.HostnameOverride != nil {
		return *pod.Spec.HostnameOverride
	}
	h := pod.Name
	if pod.Spec.Hostname != "" {
		h = pod.Spec.Hostname
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

// currentStatus is the pod's status as the kubelet's status manager has
// it now.
func (k *Kubelet) currentStatus(pod *corev1.Pod) *corev1.PodStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, ok := k.pods[pod.UID]
	if !ok {
		return pod.Status.DeepCopy()
	}
	s, _ := k.podStatus(pod, st, time.Now(), false)
	return s
}

// stopContainer stops a container's current attempt in the runtime as
// the kubelet's killContainer does through CRI StopContainer: SIGTERM to
// PID 1, SIGKILL once the grace period is over. The runtime reports the
// end through containerExited.
func (k *Kubelet) stopContainer(containerID string, grace time.Duration) {
	if rc, ok := k.node.rt.Container(strings.TrimPrefix(containerID, "containerd://")); ok {
		rc.Stop(max(grace, 0))
	}
}

// forget kills what is left of a pod that is gone and drops its files.
func (n *nodeRuntime) forget(uid types.UID) {
	n.rt.RemovePodSandbox(string(uid))
	n.mu.Lock()
	delete(n.files, uid)
	delete(n.started, uid)
	// Only this pod's containers: another pod's container may be known
	// here and not yet created in the runtime (startContainer registers it
	// before runContainer creates it), and its exit must still be heard.
	for id, ref := range n.byID {
		if ref.uid == uid {
			delete(n.byID, id)
		}
	}
	n.mu.Unlock()
}

// watchServices lists and watches Services, whose links go into every
// container's environment (a kubelet's service informer), until ctx ends.
// Every Ephemera server serves them.
func (k *Kubelet) watchServices(ctx context.Context) {
	factory := informers.NewSharedInformerFactory(k.client, 0)
	inf := factory.Core().V1().Services()
	k.node.servicesSynced = inf.Informer().HasSynced
	k.node.services = inf.Lister()
	factory.StartWithContext(ctx)
	go func() {
		<-ctx.Done()
		factory.Shutdown()
	}()
}
