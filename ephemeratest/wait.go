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

package ephemeratest

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// ContainerState is a state of a container as its status reports it.
type ContainerState string

const (
	Waiting    ContainerState = "waiting"
	Running    ContainerState = "running"
	Terminated ContainerState = "terminated"
)

// WaitForPod watches the pod until condition holds for it and returns it.
// It works against any server (Ephemera, envtest, kind); ctx bounds the
// wait.
func WaitForPod(ctx context.Context, cs kubernetes.Interface, namespace, name string, condition func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = selector
			return cs.CoreV1().Pods(namespace).List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = selector
			return cs.CoreV1().Pods(namespace).Watch(ctx, opts)
		},
	}
	ev, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok || ev.Type == watch.Deleted {
			return false, nil
		}
		return condition(pod)
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for pod %s/%s: %w", namespace, name, err)
	}
	return ev.Object.(*corev1.Pod), nil
}

// WaitForPodRunning waits until the pod is in phase Running. Pods run only
// where a kubelet runs them: in cluster mode (WithCluster), on kind or a
// real cluster; never on envtest or a default Ephemera server.
func WaitForPodRunning(ctx context.Context, cs kubernetes.Interface, namespace, name string) (*corev1.Pod, error) {
	return WaitForPod(ctx, cs, namespace, name, func(p *corev1.Pod) (bool, error) {
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("pod %s/%s is %s and will not run", namespace, name, p.Status.Phase)
		}
		return p.Status.Phase == corev1.PodRunning, nil
	})
}

// WaitForEphemeralContainer waits until the pod's ephemeral container is in
// the state (Waiting, Running or Terminated) and returns the pod. Waiting
// for Running fails as soon as the container terminated: it will never run
// again (ephemeral containers are not restarted).
func WaitForEphemeralContainer(ctx context.Context, cs kubernetes.Interface, namespace, pod, container string, state ContainerState) (*corev1.Pod, error) {
	switch state {
	case Waiting, Running, Terminated:
	default:
		return nil, fmt.Errorf("unknown container state %q (want waiting, running or terminated)", state)
	}
	return WaitForPod(ctx, cs, namespace, pod, func(p *corev1.Pod) (bool, error) {
		for _, st := range p.Status.EphemeralContainerStatuses {
			if st.Name != container {
				continue
			}
			switch {
			case st.State.Terminated != nil:
				if state == Running || state == Waiting {
					return false, fmt.Errorf("ephemeral container %s of %s/%s terminated (%s, exit code %d) before it was %s",
						container, namespace, pod, st.State.Terminated.Reason, st.State.Terminated.ExitCode, state)
				}
				return true, nil
			case st.State.Running != nil:
				return state == Running, nil
			case st.State.Waiting != nil:
				return state == Waiting, nil
			}
		}
		return false, nil
	})
}

// WaitForPodRunning waits until the pod runs (see the package function).
func (s *Server) WaitForPodRunning(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	return WaitForPodRunning(ctx, s.Clientset, namespace, name)
}

// WaitForEphemeralContainer waits until the ephemeral container is in the
// state (see the package function).
func (s *Server) WaitForEphemeralContainer(ctx context.Context, namespace, pod, container string, state ContainerState) (*corev1.Pod, error) {
	return WaitForEphemeralContainer(ctx, s.Clientset, namespace, pod, container, state)
}
