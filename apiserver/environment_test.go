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

package apiserver_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// TestEnvironmentEphemeralContainer starts an in-process server, creates a
// pod, adds an ephemeral container through the subresource and reads it back.
func TestEnvironmentEphemeralContainer(t *testing.T) {
	env := &apiserver.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	}()
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()

	pod, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	if pod.Generation != 1 {
		t.Errorf("generation = %d, want 1", pod.Generation)
	}
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"},
	})
	updated, err := cs.CoreV1().Pods("default").UpdateEphemeralContainers(ctx, "web", pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update ephemeral containers: %v", err)
	}
	if got := len(updated.Spec.EphemeralContainers); got != 1 {
		t.Fatalf("ephemeral containers = %d, want 1", got)
	}
	ec := updated.Spec.EphemeralContainers[0]
	if ec.ImagePullPolicy != corev1.PullAlways || ec.TerminationMessagePath != "/dev/termination-log" || ec.TerminationMessagePolicy != corev1.TerminationMessageReadFile {
		t.Errorf("ephemeral container not defaulted: %+v", ec)
	}
	if updated.Generation != 2 {
		t.Errorf("generation = %d, want 2", updated.Generation)
	}
}
