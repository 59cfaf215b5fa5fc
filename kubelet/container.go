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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/ephemera-dev/ephemera/internal/imageref"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

type podState struct {
	seen      time.Time
	podIP     string
	ctrs      map[string]*ctrState
	startTime metav1.Time
	// killing is set once the pod's deletion was seen: its containers get
	// the "Killing" event and are stopped at the deletion deadline.
	killing bool
	// killedStatusWritten is set once the terminal status of a deleted pod
	// was written; the pod is then removed.
	killedStatusWritten bool
}

// ctrState is the simulation's record of one container.
//
// The contract with the container runtime (package runtime, wired in
// runtime.go) is narrow: the kubelet starts each attempt's PID 1 in it
// (startContainer, one runtime container per attempt, with the attempt's
// containerID) and stops it there (stopContainer); the runtime keeps each
// attempt's log (read by containerID, so logs --previous reads the last
// attempt's) and reports the end of PID 1 (containerExited sets finished,
// exitCode and startError of the current attempt). Everything else here
// (attempts, restarts, back-off, kills, readiness) is the kubelet's, as on a
// real node where the kubelet only learns of exits from the runtime's
// status.
type ctrState struct {
	name, image string
	podRef      string // the pod as the kubelet's messages name it: name_namespace(uid)
	ephemeral   bool
	init        bool
	outcome     Outcome
	seen        time.Time
	pullAlways  bool
	containerID string
	imageID     string
	// finished is set when the runtime reports that the current attempt's
	// PID 1 exited (or could not start: startError), before its rule said
	// so.
	finished   *time.Time
	exitCode   int32
	startError string
	events     map[string]bool

	// Restarts (pkg/kubelet/kuberuntime: computePodActions, doBackOff).
	attempt      int       // restartCount
	attemptStart time.Time // when the current attempt began
	lastTerm     *corev1.ContainerStateTerminated
	backoff      time.Duration
	backoffAt    time.Time // when backoff last changed
	nextRestart  time.Time // when a container waiting in back-off starts again
	exitReported bool      // the current attempt's exit is in a written status
	// killAt is when the kubelet kills the container of a deleted pod (the
	// deletion deadline: SIGTERM is ignored by the test images' PID 1).
	killAt *time.Time
	// unstarted: first seen in a pod already being deleted, the container
	// never starts.
	unstarted bool

	// Probes: how long after the start the container is started (startup
	// probe) and ready (readiness probe); nil: no such probe.
	startupDelay, readinessDelay *time.Duration

	// What convertToAPIContainerStatuses (pkg/kubelet/kubelet_pods.go)
	// reports besides the state: the spec's mounts (always), and for a
	// container the runtime knows, its resources, allocated requests and
	// the user it runs as.
	mounts    []corev1.VolumeMountStatus
	resources corev1.ResourceRequirements
	user      *corev1.ContainerUser
}

// phase of a container's current attempt at a moment, from its rule's
// timeline:
//
//	start ── pullDelay ──> pulled ── startDelay ──> started ── exitAfter ──> finished
//
// or, with a pull error: start ── pullDelay ──> ErrImagePull ── 1s ──> ImagePullBackOff.
// start is when the container was first seen, or when it was restarted; a
// restarted container's image is on the node already (unless its pull
// policy is Always).
type timeline struct {
	pulled, started, finished, pullFailed, backOff time.Time
	killed                                         bool
}

func (c *ctrState) pullDelay() time.Duration {
	if c.attempt > 0 && !c.pullAlways {
		return -1
	}
	return c.outcome.pullDelay()
}

func (c *ctrState) timeline() timeline {
	o := c.outcome
	pull := c.pullDelay()
	if pull < 0 {
		pull = 0
	}
	base := c.attemptStart
	var t timeline
	if o.PullError != "" {
		t.pullFailed = base.Add(pull)
		t.backOff = t.pullFailed.Add(imagePullBackOffAfter)
		return t
	}
	t.pulled = base.Add(pull)
	t.started = t.pulled.Add(time.Duration(o.StartDelay))
	if o.exits() {
		t.finished = t.started.Add(time.Duration(o.ExitAfter))
	}
	if c.finished != nil && (t.finished.IsZero() || c.finished.Before(t.finished)) {
		t.finished = *c.finished
	}
	if c.unstarted {
		t.started, t.finished = never, time.Time{}
		return t
	}
	if c.killAt != nil {
		switch {
		case c.killAt.Before(t.started):
			// Killed before it started: it never does.
			t.started, t.finished = never, time.Time{}
		case t.finished.IsZero() || c.killAt.Before(t.finished):
			t.finished, t.killed = *c.killAt, true
		}
	}
	return t
}

// never is a moment that does not come.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *ctrState) code() int32 {
	if t := c.timeline(); t.killed {
		return killExitCode
	}
	if c.finished != nil {
		return c.exitCode
	}
	return c.outcome.exitCode()
}

// terminated is the terminated state of the current attempt.
func (c *ctrState) terminated(t timeline) *corev1.ContainerStateTerminated {
	code := c.code()
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	term := &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason,
		StartedAt: metav1.NewTime(t.started.Truncate(time.Second)), FinishedAt: metav1.NewTime(t.finished.Truncate(time.Second)),
		ContainerID: c.containerID}
	if c.startError != "" && !t.killed {
		// runc could not execute PID 1: containerd reports the error and a
		// start time of zero (the Unix epoch).
		term.Reason, term.Message = "StartError", c.startError
		term.StartedAt = metav1.NewTime(time.Unix(0, 0))
	}
	return term
}

// status is the container's status at now and when it next changes (zero:
// never).
func (c *ctrState) status(now time.Time) (corev1.ContainerStatus, time.Time) {
	t := c.timeline()
	// A container that has not started reports started: false.
	// Only the prober sets started, and it probes regular and init
	// containers (prober_manager.go UpdatePodStatus): an ephemeral
	// container's status has no started field at all.
	notStarted := false
	s := corev1.ContainerStatus{Name: c.name, Image: c.image, VolumeMounts: c.mounts, RestartCount: int32(c.attempt)}
	if c.lastTerm != nil {
		s.LastTerminationState.Terminated = c.lastTerm.DeepCopy()
	}
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
		if t.started == never {
			return s, time.Time{}
		}
		return s, t.started
	}
	s.Image = imageref.Normalize(c.image)
	s.ImageID = c.imageID
	s.ContainerID = c.containerID
	// A container the runtime reports: resources as allocated (the simulated
	// cgroups apply exactly what was asked), allocated requests, and its user.
	s.Resources = c.resources.DeepCopy()
	s.AllocatedResources = c.resources.Requests.DeepCopy()
	s.User = c.user.DeepCopy()
	if !t.finished.IsZero() && !now.Before(t.finished) {
		term := c.terminated(t)
		if !c.nextRestart.IsZero() && c.nextRestart.After(t.finished) && now.Before(c.nextRestart) {
			// Waiting out the back-off (doBackOff): the run that ended is the
			// last state, the container waits in CrashLoopBackOff.
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", c.backoff, c.name, c.podRef)}
			s.LastTerminationState.Terminated = term
			s.ContainerID = ""
			s.Resources, s.AllocatedResources, s.User = nil, nil, nil
			return s, c.nextRestart
		}
		s.State.Terminated = term
		return s, time.Time{}
	}
	started := metav1.NewTime(t.started.Truncate(time.Second))
	s.State.Running = &corev1.ContainerStateRunning{StartedAt: started}
	next := t.finished
	if !c.ephemeral {
		startedAt := t.started
		if c.startupDelay != nil {
			startedAt = startedAt.Add(*c.startupDelay)
		}
		isStarted := !now.Before(startedAt)
		s.Started = &isStarted
		readyAt := startedAt
		if c.readinessDelay != nil && *c.readinessDelay > 0 {
			readyAt = startedAt.Add(*c.readinessDelay)
		}
		s.Ready = !now.Before(readyAt) // ephemeral containers are never ready
		for _, at := range []time.Time{startedAt, readyAt} {
			if at.After(now) && (next.IsZero() || at.Before(next)) {
				next = at
			}
		}
	}
	return s, next
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
