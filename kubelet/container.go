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
}

type ctrState struct {
	name, image string
	ephemeral   bool
	outcome     Outcome
	seen        time.Time
	containerID string
	imageID     string
	// finished is set when the runtime reports that PID 1 exited (or
	// could not start: startError).
	finished   *time.Time
	exitCode   int32
	startError string
	events     map[string]bool

	// What convertToAPIContainerStatuses (pkg/kubelet/kubelet_pods.go)
	// reports besides the state: the spec's mounts (always), and for a
	// container the runtime knows, its resources, allocated requests and
	// the user it runs as.
	mounts    []corev1.VolumeMountStatus
	resources corev1.ResourceRequirements
	user      *corev1.ContainerUser
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
	s.Image = imageref.Normalize(c.image)
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
		if c.startError != "" {
			// runc could not execute PID 1: containerd reports the error
			// and a start time of zero (the Unix epoch).
			s.State.Terminated.Reason, s.State.Terminated.Message = "StartError", c.startError
			s.State.Terminated.StartedAt = metav1.NewTime(time.Unix(0, 0))
		}
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
