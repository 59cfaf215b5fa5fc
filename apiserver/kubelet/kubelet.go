// Package kubelet simulates one node's kubelet (and the scheduler's binding
// step) for Ephemera, so that tools which wait for containers to run —
// `kubectl debug -it`, `kubectl logs -f`, debuggers that poll
// status.ephemeralContainerStatuses — complete against a fake API server.
//
// It talks to the server only through the API clients use: a loopback
// client-go clientset with the kubelet's user agent (so managedFields say
// "kubelet"), binding pods through pods/binding, writing pods/status and
// creating events as a kubelet does. Container behaviour is chosen per image
// or per container by Rules. It also implements the node side of pods/log and
// pods/attach (registry/pod.Runtime).
//
// Formats of statuses, reasons and event messages follow the kubelet of
// k8s.io/kubernetes v1.37.2: pkg/kubelet/kubelet_pods.go
// (generateAPIPodStatus, convertToAPIContainerStatuses), pkg/kubelet/status
// (generate.go), pkg/kubelet/images/image_manager.go (EnsureImageExists),
// pkg/kubelet/kuberuntime/kuberuntime_container.go (startContainer) and
// pkg/kubelet/events/event.go.
package kubelet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/connrotation"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Defaults of Options.
const (
	DefaultNodeName = "ephemera-node"
	// DefaultNodeIP is the node's InternalIP and every pod's hostIP.
	DefaultNodeIP = "172.18.0.2"
	// DefaultPodCIDR is where pod IPs come from.
	DefaultPodCIDR = "10.244.0.0/24"
	// KubeletVersion is what the node reports.
	KubeletVersion = "v1.37.2"
	// UserAgent is the kubelet's user agent; the field manager is its first
	// segment, "kubelet", as on a real node.
	UserAgent = "kubelet/" + KubeletVersion + " (linux/amd64) kubernetes/ephemera"
	// imagePullBackOffAfter is how long after ErrImagePull the container
	// shows ImagePullBackOff. A real kubelet shows it at its next pod sync,
	// typically within seconds.
	imagePullBackOffAfter = time.Second
)

// Options configure a Kubelet.
type Options struct {
	NodeName string
	NodeIP   string
	PodCIDR  string
	Rules    Rules
}

// Kubelet is the simulation. Create it with New before the server's storage
// (it serves pods/log and pods/attach), then Run it once the server listens.
type Kubelet struct {
	opts   Options
	client kubernetes.Interface
	queue  workqueue.TypedDelayingInterface[string]

	mu      sync.Mutex
	pods    map[types.UID]*podState
	images  map[string]bool // images on the node: pulled once, present after
	nextIP  netip.Addr
	lister  cache.Indexer
	started chan struct{}

	stopOnce sync.Once
	stopping atomic.Bool
	dialer   *connrotation.Dialer
	cancel   context.CancelFunc
	stopped  chan struct{} // closed when the worker and informers are gone
}

type podState struct {
	seen      time.Time
	podIP     string
	ctrs      map[string]*ctrState
	startTime metav1.Time
}

type ctrState struct {
	name, image string
	ephemeral   bool
	stdin, tty  bool
	command     []string // command and args
	// visible are the commands of other containers whose processes this
	// one sees: its targetContainerName's, or all with shareProcessNamespace.
	visible     [][]string
	outcome     Outcome
	seen        time.Time
	containerID string
	imageID     string
	// finished is set when the container stopped before its rule said so
	// (the attached shell ran `exit`).
	finished *time.Time
	exitCode int32
	events   map[string]bool
	log      *logBuffer

	// What convertToAPIContainerStatuses (pkg/kubelet/kubelet_pods.go)
	// reports besides the state: the spec's mounts (always), and for a
	// container the runtime knows, its resources, allocated requests and
	// the user it runs as.
	mounts    []corev1.VolumeMountStatus
	resources corev1.ResourceRequirements
	user      *corev1.ContainerUser
}

// New returns a Kubelet; it does nothing until Run.
func New(opts Options) *Kubelet {
	if opts.NodeName == "" {
		opts.NodeName = DefaultNodeName
	}
	if opts.NodeIP == "" {
		opts.NodeIP = DefaultNodeIP
	}
	if opts.PodCIDR == "" {
		opts.PodCIDR = DefaultPodCIDR
	}
	prefix := netip.MustParsePrefix(opts.PodCIDR)
	return &Kubelet{
		opts:    opts,
		pods:    map[types.UID]*podState{},
		images:  map[string]bool{},
		nextIP:  prefix.Addr().Next().Next(), // .1 is the bridge, as in kind
		queue:   workqueue.NewTypedDelayingQueue[string](),
		started: make(chan struct{}),
		cancel:  func() {},
		stopped: make(chan struct{}),
	}
}

// NodeName is the simulated node's name.
func (k *Kubelet) NodeName() string { return k.opts.NodeName }

// Run registers the node and drives pods until ctx ends. It returns once
// the node is registered and the pod informer has synced (the simulation
// keeps running in the background) or with the registration error.
//
// Stop ends it; so does the end of ctx.
func (k *Kubelet) Run(ctx context.Context, config *rest.Config) error {
	ctx, k.cancel = context.WithCancel(ctx)
	config = rest.CopyConfig(config)
	config.UserAgent = UserAgent
	// Every connection of the kubelet's goes through a dialer that Stop
	// closes: a connection dialed for a request cancelled at shutdown would
	// otherwise sit unused in the client's pool, and net/http's
	// Server.Shutdown waits five seconds for such never-used connections.
	base := (&net.Dialer{}).DialContext
	k.dialer = connrotation.NewDialer(func(ctx context.Context, network, address string) (net.Conn, error) {
		if k.stopping.Load() {
			return nil, errors.New("simulated kubelet stopped")
		}
		return base(ctx, network, address)
	})
	config.Dial = k.dialer.DialContext
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	k.client = client
	if err := k.registerNode(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", k.opts.NodeName, err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().Pods().Informer()
	k.lister = informer.GetIndexer()
	enqueue := func(obj interface{}) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		DeleteFunc: func(obj interface{}) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				k.forget(p.UID)
			}
		},
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("pod informer did not sync")
	}
	workerDone := make(chan struct{})
	go func() {
		<-ctx.Done()
		k.queue.ShutDown()
		factory.Shutdown() // waits for the informer's watch to end
		<-workerDone
		close(k.stopped)
	}()
	go func() {
		defer close(workerDone)
		k.work(ctx)
	}()
	close(k.started)
	return nil
}

// Stop ends the simulation and waits until its informer's watch and its
// worker are gone. The server calls it before shutting down, so that no
// request of the kubelet's is in flight then (an open watch would hold the
// shutdown for seconds). Safe to call more than once, and before Run.
func (k *Kubelet) Stop() {
	k.stopOnce.Do(func() {
		k.stopping.Store(true)
		k.cancel()
		select {
		case <-k.started:
			<-k.stopped
		default:
		}
		if k.dialer != nil {
			k.dialer.CloseAll()
		}
	})
}

func (k *Kubelet) work(ctx context.Context) {
	for {
		key, shutdown := k.queue.Get()
		if shutdown {
			return
		}
		next, err := k.sync(ctx, key)
		k.queue.Done(key)
		switch {
		case err != nil && ctx.Err() == nil:
			klog.V(2).InfoS("Simulated kubelet: sync failed, retrying", "pod", key, "err", err)
			k.queue.AddAfter(key, 20*time.Millisecond)
		case next > 0:
			k.queue.AddAfter(key, next)
		}
	}
}

func (k *Kubelet) registerNode(ctx context.Context) error {
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("8"),
		corev1.ResourceMemory:           resource.MustParse("16Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: k.opts.NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname":           k.opts.NodeName,
				"kubernetes.io/os":                 "linux",
				"kubernetes.io/arch":               "amd64",
				"beta.kubernetes.io/os":            "linux",
				"beta.kubernetes.io/arch":          "amd64",
				"ephemera.dev/simulated":           "true",
				"node-role.kubernetes.io/ephemera": "",
			},
		},
		Spec: corev1.NodeSpec{PodCIDR: k.opts.PodCIDR, PodCIDRs: []string{k.opts.PodCIDR}},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: k.opts.NodeIP},
				{Type: corev1.NodeHostName, Address: k.opts.NodeName},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			NodeInfo: corev1.NodeSystemInfo{
				MachineID:               "ephemera",
				SystemUUID:              "ephemera",
				BootID:                  "ephemera",
				KernelVersion:           "6.8.0-ephemera",
				OSImage:                 "Ephemera simulated node",
				ContainerRuntimeVersion: "containerd://2.1.0",
				KubeletVersion:          KubeletVersion,
				OperatingSystem:         "linux",
				Architecture:            "amd64",
			},
		},
	}
	_, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (k *Kubelet) forget(uid types.UID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if p, ok := k.pods[uid]; ok {
		for _, c := range p.ctrs {
			c.log.close()
		}
		delete(k.pods, uid)
	}
}

// sync does one pass over a pod and returns when to look again (0: only on
// the next change).
func (k *Kubelet) sync(ctx context.Context, key string) (time.Duration, error) {
	obj, exists, err := k.lister.GetByKey(key)
	if err != nil || !exists {
		return 0, err
	}
	pod := obj.(*corev1.Pod)
	if pod.Spec.NodeName == "" {
		return 0, k.bind(ctx, pod)
	}
	if pod.Spec.NodeName != k.opts.NodeName {
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		// The kubelet stops the containers, then removes the pod for good
		// (pkg/kubelet/status/status_manager.go, syncPod: deletes with grace
		// period 0 and a UID precondition once the pod can be deleted).
		k.forget(pod.UID)
		zero := int64(0)
		err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero,
			Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		return 0, err
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}

	now := time.Now()
	k.mu.Lock()
	st := k.podState(pod, now)
	events := k.dueEvents(pod, st, now)
	status, next := k.podStatus(pod, st, now)
	k.mu.Unlock()

	for _, e := range events {
		if err := k.emit(ctx, pod, e); err != nil {
			return 0, err
		}
	}
	if !apiequality.Semantic.DeepEqual(status, &pod.Status) {
		newPod := pod.DeepCopy()
		newPod.Status = *status
		if _, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, newPod, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				return 0, nil
			}
			return 0, err
		}
	}
	return next, nil
}

// bind plays the scheduler: every pod without a node goes to this node
// through pods/binding, unless scheduling gates hold it.
func (k *Kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	if len(pod.Spec.SchedulingGates) > 0 || pod.DeletionTimestamp != nil {
		return nil
	}
	if pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != corev1.DefaultSchedulerName {
		return nil // another scheduler's pod
	}
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.opts.NodeName},
	}, metav1.CreateOptions{})
	if err == nil {
		k.emit(ctx, pod, event{reason: "Scheduled", message: fmt.Sprintf("Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, k.opts.NodeName), scheduler: true})
	}
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // already bound or gone; the informer brings the news
	}
	return err
}

// podState returns the simulation's record of a pod, creating records for
// containers seen for the first time. Call with k.mu held.
func (k *Kubelet) podState(pod *corev1.Pod, now time.Time) *podState {
	st, ok := k.pods[pod.UID]
	if !ok {
		st = &podState{seen: now, ctrs: map[string]*ctrState{}, startTime: metav1.NewTime(now.Truncate(time.Second))}
		if pod.Spec.HostNetwork {
			st.podIP = k.opts.NodeIP
		} else {
			st.podIP = k.nextIP.String()
			k.nextIP = k.nextIP.Next()
		}
		if pod.Status.StartTime != nil {
			st.startTime = *pod.Status.StartTime
		}
		k.pods[pod.UID] = st
	}
	add := func(c *corev1.Container, ephemeral bool, seen time.Time) {
		if _, ok := st.ctrs[c.Name]; ok {
			return
		}
		outcome := k.opts.Rules.For(c.Name, c.Image)
		// images/image_manager.go EnsureImageExists: an image already on the
		// node is not pulled again unless the policy is Always.
		image := normalizeImage(c.Image)
		if k.images[image] && c.ImagePullPolicy != corev1.PullAlways && outcome.PullError == "" {
			outcome.PullDelay = -1
		}
		if outcome.PullError == "" {
			k.images[image] = true
		}
		st.ctrs[c.Name] = &ctrState{
			name: c.Name, image: c.Image, ephemeral: ephemeral, stdin: c.Stdin, tty: c.TTY, command: append(c.Command, c.Args...),
			outcome:     outcome,
			seen:        seen,
			containerID: "containerd://" + randomHex(),
			imageID:     imageName(normalizeImage(c.Image)) + "@sha256:" + hashHex(c.Image),
			events:      map[string]bool{},
			log:         newLogBuffer(),
			mounts:      mountStatuses(c.VolumeMounts),
			resources:   *c.Resources.DeepCopy(),
			user:        containerUser(pod, c),
		}
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i], false, st.seen)
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i], false, st.seen)
	}
	for i := range pod.Spec.EphemeralContainers {
		ec := pod.Spec.EphemeralContainers[i]
		c := corev1.Container{Name: ec.Name, Image: ec.Image, Stdin: ec.Stdin, TTY: ec.TTY, Command: ec.Command, Args: ec.Args,
			VolumeMounts: ec.VolumeMounts, Resources: ec.Resources, SecurityContext: ec.SecurityContext, ImagePullPolicy: ec.ImagePullPolicy}
		add(&c, true, now)
	}
	// Process namespaces: a shared one shows every container's processes;
	// otherwise an ephemeral container sees its target's.
	shared := pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace
	for _, ec := range pod.Spec.EphemeralContainers {
		cs := st.ctrs[ec.Name]
		cs.visible = nil
		for _, c := range pod.Spec.Containers {
			if shared || c.Name == ec.TargetContainerName {
				cs.visible = append(cs.visible, append(append([]string{}, c.Command...), c.Args...))
			}
		}
	}
	return st
}

// phase of a container at a moment, from its rule's timeline:
//
//	seen ── pullDelay ──> pulled ── startDelay ──> started ── exitAfter ──> finished
//
// or, with a pull error: seen ── pullDelay ──> ErrImagePull ── 1s ──> ImagePullBackOff.
type timeline struct {
	pulled, started, finished, pullFailed, backOff time.Time
}

func (c *ctrState) timeline() timeline {
	o := c.outcome
	pull := o.pullDelay()
	if pull < 0 {
		pull = 0
	}
	var t timeline
	if o.PullError != "" {
		t.pullFailed = c.seen.Add(pull)
		t.backOff = t.pullFailed.Add(imagePullBackOffAfter)
		return t
	}
	t.pulled = c.seen.Add(pull)
	t.started = t.pulled.Add(time.Duration(o.StartDelay))
	if o.exits() {
		t.finished = t.started.Add(time.Duration(o.ExitAfter))
	}
	if c.finished != nil && (t.finished.IsZero() || c.finished.Before(t.finished)) {
		t.finished = *c.finished
	}
	return t
}

func (c *ctrState) code() int32 {
	if c.finished != nil {
		return c.exitCode
	}
	return c.outcome.exitCode()
}

// event is one kubelet event about a pod.
type event struct {
	reason, message, fieldPath string
	warning                    bool
	scheduler                  bool
}

func fieldPath(c *ctrState) string {
	if c.ephemeral {
		return "spec.ephemeralContainers{" + c.name + "}"
	}
	return "spec.containers{" + c.name + "}"
}

// dueEvents returns the events whose moment has come and marks them sent.
// Call with k.mu held.
func (k *Kubelet) dueEvents(pod *corev1.Pod, st *podState, now time.Time) []event {
	var out []event
	for _, c := range orderedContainers(pod, st) {
		t := c.timeline()
		fp := fieldPath(c)
		once := func(key string, at time.Time, e event) {
			if c.events[key] || at.IsZero() || now.Before(at) {
				return
			}
			c.events[key] = true
			e.fieldPath = fp
			out = append(out, e)
		}
		o := c.outcome
		if o.pullDelay() < 0 {
			// images/image_manager.go: present image, pull policy not Always;
			// with the 1.37 pull-credential checks the message says the pod
			// may use it.
			once("pulled", c.seen, event{reason: "Pulled", message: fmt.Sprintf("Container image %q already present on machine and can be accessed by the pod", c.image)})
		} else {
			once("pulling", c.seen, event{reason: "Pulling", message: fmt.Sprintf("Pulling image %q", c.image)})
		}
		if o.PullError != "" {
			once("failed", t.pullFailed, event{reason: "Failed", warning: true, message: fmt.Sprintf("Failed to pull image %q: %s", c.image, o.PullError)})
			once("errimagepull", t.pullFailed, event{reason: "Failed", warning: true, message: "Error: ErrImagePull"})
			// The BackOff event is of type Normal (image_manager.go logIt).
			once("backoff", t.backOff, event{reason: "BackOff", message: fmt.Sprintf("Back-off pulling image %q", c.image)})
			once("imagepullbackoff", t.backOff, event{reason: "Failed", warning: true, message: "Error: ImagePullBackOff"})
			continue
		}
		if o.pullDelay() >= 0 {
			d := o.pullDelay().Truncate(time.Millisecond)
			once("pulled", t.pulled, event{reason: "Pulled", message: fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes.", c.image, d, d, o.imageSize())})
		}
		// kuberuntime_container.go startContainer: "Container created",
		// "Container started" (v1.37; older kubelets said "Created container: <name>").
		once("created", t.started, event{reason: "Created", message: "Container created"})
		if once("started", t.started, event{reason: "Started", message: "Container started"}); !c.events["output"] && !now.Before(t.started) {
			c.events["output"] = true
			if o.Output != "" {
				c.log.write([]byte(o.Output))
			}
			if !o.exits() && o.Output == "" && c.finished == nil {
				if done, code := runScript(c); done {
					end := t.started
					c.finished, c.exitCode = &end, code
					t = c.timeline()
				}
			}
		}
		if !t.finished.IsZero() && !now.Before(t.finished) {
			c.log.close()
		}
	}
	return out
}

func orderedContainers(pod *corev1.Pod, st *podState) []*ctrState {
	var out []*ctrState
	for _, c := range pod.Spec.InitContainers {
		out = append(out, st.ctrs[c.Name])
	}
	for _, c := range pod.Spec.Containers {
		out = append(out, st.ctrs[c.Name])
	}
	for _, c := range pod.Spec.EphemeralContainers {
		out = append(out, st.ctrs[c.Name])
	}
	return out
}

// containerStatus is the status at now and when it next changes (zero: never).
func (c *ctrState) status(now time.Time) (corev1.ContainerStatus, time.Time) {
	t := c.timeline()
	// A container that has not started reports started: false.
	// Only the prober sets started, and it probes regular and init
	// containers (prober_manager.go UpdatePodStatus): an ephemeral
	// container's status has no started field at all.
	notStarted := false
	s := corev1.ContainerStatus{Name: c.name, Image: c.image, VolumeMounts: c.mounts}
	if !c.ephemeral {
		s.Started = &notStarted
	}
	switch {
	case c.outcome.PullError != "":
		if now.Before(t.pullFailed) {
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
			return s, t.pullFailed
		}
		if now.Before(t.backOff) {
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: c.outcome.PullError}
			return s, t.backOff
		}
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", c.image, c.outcome.PullError)}
		return s, time.Time{}
	case now.Before(t.started):
		// kubelet_pods.go convertToAPIContainerStatuses: the default
		// waiting state of a container the runtime has not reported.
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		return s, t.started
	}
	s.Image = normalizeImage(c.image)
	s.ImageID = c.imageID
	s.ContainerID = c.containerID
	// A container the runtime reports: resources as allocated (the simulated
	// cgroups apply exactly what was asked), allocated requests, and its user.
	s.Resources = c.resources.DeepCopy()
	s.AllocatedResources = c.resources.Requests.DeepCopy()
	s.User = c.user.DeepCopy()
	started := metav1.NewTime(t.started.Truncate(time.Second))
	if !t.finished.IsZero() && !now.Before(t.finished) {
		code := c.code()
		reason := "Completed"
		if code != 0 {
			reason = "Error"
		}
		s.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason,
			StartedAt: started, FinishedAt: metav1.NewTime(t.finished.Truncate(time.Second)), ContainerID: c.containerID}
		if !c.ephemeral {
			f := false
			s.Started = &f
		}
		return s, time.Time{}
	}
	s.State.Running = &corev1.ContainerStateRunning{StartedAt: started}
	if !c.ephemeral {
		tr := true
		s.Started = &tr
	}
	s.Ready = !c.ephemeral // ephemeral containers are never ready
	return s, t.finished
}

// podStatus computes the pod's status as generateAPIPodStatus would, and
// when to look again. Call with k.mu held.
func (k *Kubelet) podStatus(pod *corev1.Pod, st *podState, now time.Time) (*corev1.PodStatus, time.Duration) {
	s := pod.Status.DeepCopy()
	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	statuses := func(list []corev1.Container) []corev1.ContainerStatus {
		var out []corev1.ContainerStatus
		for _, c := range list {
			cs, at := st.ctrs[c.Name].status(now)
			soonest(at)
			out = append(out, cs)
		}
		return out
	}
	s.InitContainerStatuses = statuses(pod.Spec.InitContainers)
	s.ContainerStatuses = statuses(pod.Spec.Containers)
	s.EphemeralContainerStatuses = nil
	for _, ec := range pod.Spec.EphemeralContainers {
		cs, at := st.ctrs[ec.Name].status(now)
		soonest(at)
		s.EphemeralContainerStatuses = append(s.EphemeralContainerStatuses, cs)
	}

	running, terminated, succeeded := 0, 0, 0
	var unready []string
	for _, cs := range s.ContainerStatuses {
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			terminated++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		}
		if !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	// kubelet_pods.go getPhase, without restarts (never simulated).
	switch {
	case terminated == len(s.ContainerStatuses) && terminated > 0 && pod.Spec.RestartPolicy != corev1.RestartPolicyAlways:
		if succeeded == terminated {
			s.Phase = corev1.PodSucceeded
		} else {
			s.Phase = corev1.PodFailed
		}
	case running > 0 || terminated > 0:
		s.Phase = corev1.PodRunning
	default:
		s.Phase = corev1.PodPending
	}

	s.HostIP = k.opts.NodeIP
	s.HostIPs = []corev1.HostIP{{IP: k.opts.NodeIP}}
	s.PodIP = st.podIP
	s.PodIPs = []corev1.PodIP{{IP: st.podIP}}
	start := st.startTime
	s.StartTime = &start
	s.ObservedGeneration = pod.Generation

	// Conditions in the kubelet's order (generateAPIPodStatus):
	// PodReadyToStartContainers, Initialized, Ready, ContainersReady,
	// PodScheduled. Transition times are kept while the status holds.
	ready := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionTrue}
	if len(unready) > 0 {
		ready.Status = corev1.ConditionFalse
		ready.Reason = "ContainersNotReady"
		ready.Message = fmt.Sprintf("containers with unready status: %s", unready)
	}
	if s.Phase == corev1.PodSucceeded {
		ready.Reason = "PodCompleted"
		ready.Message = ""
	}
	podReady := ready
	podReady.Type = corev1.PodReady
	conds := []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
		podReady,
		ready,
	}
	if s.Phase == corev1.PodSucceeded || s.Phase == corev1.PodFailed {
		conds[0].Status = corev1.ConditionFalse // sandbox torn down
	}
	var others []corev1.PodCondition
	scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(st.seen.Truncate(time.Second))}
	for _, c := range pod.Status.Conditions {
		switch c.Type {
		case corev1.PodScheduled:
			scheduled = c
		case corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady:
		default:
			others = append(others, c)
		}
	}
	for i := range conds {
		conds[i].ObservedGeneration = pod.Generation
		conds[i].LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
		for _, old := range pod.Status.Conditions {
			if old.Type == conds[i].Type && old.Status == conds[i].Status {
				conds[i].LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	scheduled.ObservedGeneration = pod.Generation
	s.Conditions = append(append(others, conds...), scheduled)

	var d time.Duration
	if !next.IsZero() {
		d = next.Sub(now) + time.Millisecond
	}
	return s, d
}

// emit creates an event as the kubelet's recorder does
// (client-go tools/record: name "<pod>.<hex nanos>", source and reporting
// component kubelet, host and reporting instance the node).
func (k *Kubelet) emit(ctx context.Context, pod *corev1.Pod, e event) error {
	now := metav1.NewTime(time.Now())
	typ := corev1.EventTypeNormal
	if e.warning {
		typ = corev1.EventTypeWarning
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%v.%x", pod.Name, now.UnixNano()), Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			APIVersion: "v1", ResourceVersion: pod.ResourceVersion, FieldPath: e.fieldPath,
		},
		Reason: e.reason, Message: e.message, Type: typ,
		Source:         corev1.EventSource{Component: "kubelet", Host: k.opts.NodeName},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: "kubelet", ReportingInstance: k.opts.NodeName,
	}
	if e.scheduler {
		// The Scheduled event comes from the scheduler, not the kubelet.
		ev.Source = corev1.EventSource{Component: "default-scheduler"}
		ev.ReportingController, ev.ReportingInstance = "default-scheduler", "default-scheduler"
		ev.InvolvedObject.ResourceVersion = ""
	}
	_, err := k.client.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	if err != nil {
		klog.V(2).InfoS("Simulated kubelet: event not recorded", "pod", klog.KObj(pod), "reason", e.reason, "err", err)
	}
	return nil // like the recorder, never fail the sync over an event
}

// normalizeImage is how containerd reports an image: fully qualified, with
// a tag ("nginx" -> "docker.io/library/nginx:latest").
func normalizeImage(image string) string {
	name, rest := image, ""
	if i := strings.Index(image, "@"); i >= 0 {
		name, rest = image[:i], image[i:]
	}
	first, _, hasSlash := strings.Cut(name, "/")
	switch {
	case !hasSlash:
		name = "docker.io/library/" + name
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		name = "docker.io/" + name
	}
	if rest == "" {
		if i := strings.LastIndex(name, ":"); i < 0 || strings.Contains(name[i:], "/") {
			name += ":latest"
		}
	}
	return name + rest
}

var idCounter struct {
	sync.Mutex
	n uint64
}

// randomHex is a 64-hex-digit container ID, unique in the process.
func randomHex() string {
	idCounter.Lock()
	idCounter.n++
	n := idCounter.n
	idCounter.Unlock()
	return hashHex(fmt.Sprintf("container-%d-%d", n, time.Now().UnixNano()))
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// mountStatuses is what the kubelet reports of a container's volume mounts
// (convertToAPIContainerStatuses): name, path, read-only, and for a
// read-only mount its recursive mode, Disabled unless recursive read-only
// was asked for (the simulated runtime supports it).
func mountStatuses(mounts []corev1.VolumeMount) []corev1.VolumeMountStatus {
	var out []corev1.VolumeMountStatus
	for _, m := range mounts {
		st := corev1.VolumeMountStatus{Name: m.Name, MountPath: m.MountPath, ReadOnly: m.ReadOnly}
		if m.ReadOnly {
			mode := corev1.RecursiveReadOnlyDisabled
			if m.RecursiveReadOnly != nil && *m.RecursiveReadOnly != corev1.RecursiveReadOnlyDisabled {
				mode = corev1.RecursiveReadOnlyEnabled
			}
			st.RecursiveReadOnly = &mode
		}
		out = append(out, st)
	}
	return out
}

// containerUser is the identity the runtime reports for a Linux container:
// runAsUser and runAsGroup from the container or the pod (root when unset,
// as the test images run), and as supplemental groups the primary group,
// fsGroup and the pod's supplementalGroups (the Merge policy; groups the
// image's /etc/group would add are not simulated).
func containerUser(pod *corev1.Pod, c *corev1.Container) *corev1.ContainerUser {
	var uid, gid int64
	psc := pod.Spec.SecurityContext
	if psc != nil && psc.RunAsUser != nil {
		uid = *psc.RunAsUser
	}
	if psc != nil && psc.RunAsGroup != nil {
		gid = *psc.RunAsGroup
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = *sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = *sc.RunAsGroup
		}
	}
	groups := sets.New(gid)
	if psc != nil {
		if psc.FSGroup != nil {
			groups.Insert(*psc.FSGroup)
		}
		groups.Insert(psc.SupplementalGroups...)
	}
	return &corev1.ContainerUser{Linux: &corev1.LinuxContainerUser{UID: uid, GID: gid, SupplementalGroups: sets.List(groups)}}
}
