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

package kubelet_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// The kubelet's restarts and kills drive the runtime: a restart is a new
// process in a new runtime container (the previous attempt's log stays
// readable with previous=true), and a deletion's SIGTERM reaches PID 1,
// which may end sooner than the grace period.

func TestRestartStartsNewAttemptInRuntime(t *testing.T) {
	c := start(t, &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}})
	createPod(t, c, "crash", corev1.Container{Name: "app", Image: "busybox:1.36",
		Command: []string{"sh", "-c", "echo attempt; exit 4"}})
	p := waitPod(t, c, "crash", "a restart", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1 &&
			p.Status.ContainerStatuses[0].LastTerminationState.Terminated != nil
	})
	last := p.Status.ContainerStatuses[0].LastTerminationState.Terminated
	if last.ExitCode != 4 || last.Reason != "Error" || last.ContainerID == "" {
		t.Errorf("last termination: %+v", last)
	}
	out, err := c.CoreV1().Pods("default").GetLogs("crash", &corev1.PodLogOptions{Previous: true}).DoRaw(context.Background())
	if err != nil || string(out) != "attempt\n" {
		t.Errorf("logs --previous: %q, %v", out, err)
	}
}

func TestDeletionSignalsPID1(t *testing.T) {
	c := start(t, &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}})
	// With the pod's shared PID namespace, the pause process is its init and
	// the container's PID 1 an ordinary process: SIGTERM's default action
	// ends it at once (143), long before the grace period, as on a node
	// where the kubelet's SIGTERM reaches it through the runtime.
	shared := true
	_, err := c.CoreV1().Pods("default").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "term"},
		Spec: corev1.PodSpec{ShareProcessNamespace: &shared, Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36",
			Command: []string{"sleep", "3600"}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, c, "term", "running", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := c.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=term", ResourceVersion: p.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	grace := int64(20)
	deleted := time.Now()
	if err := c.CoreV1().Pods("default").Delete(context.Background(), "term", metav1.DeleteOptions{GracePeriodSeconds: &grace}); err != nil {
		t.Fatal(err)
	}
	var last *corev1.Pod
	for ev := range w.ResultChan() {
		if ev.Type == watch.Deleted {
			break
		}
		if pod, ok := ev.Object.(*corev1.Pod); ok {
			last = pod
		}
	}
	if ctx.Err() != nil {
		t.Fatal("pod term was not removed")
	}
	if d := time.Since(deleted); d > 5*time.Second {
		t.Errorf("pod removed after %v: PID 1 did not get SIGTERM", d)
	}
	if st := last.Status.ContainerStatuses[0].State.Terminated; st == nil || st.ExitCode != 143 || last.Status.Phase != corev1.PodFailed {
		t.Errorf("last status before removal: phase %s, container %+v", last.Status.Phase, last.Status.ContainerStatuses[0].State)
	}
}
