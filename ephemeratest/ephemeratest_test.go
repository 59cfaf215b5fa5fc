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

package ephemeratest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ephemera-dev/ephemera/ephemeratest"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/kubelet"
	"github.com/ephemera-dev/ephemera/requestlog"
)

var web = &corev1.Pod{
	ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
	Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
}

const debugPatch = `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox:1.36","stdin":true,"tty":true}]}}`

// The three-line test: a server with a pod and the request log; the tool's
// call; the assertion on what it sent.
func TestThreeLines(t *testing.T) {
	srv := ephemeratest.Start(t, ephemeratest.WithObjects(web), ephemeratest.WithRequestLog())
	_, err := srv.Clientset.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType, []byte(debugPatch), metav1.PatchOptions{}, "ephemeralcontainers")
	if err != nil || len(srv.RequestLog().Requests(requestlog.Verb("patch"), requestlog.Resource("pods/ephemeralcontainers"))) != 1 {
		t.Fatalf("patch: %v; log: %+v", err, srv.RequestLog().Requests())
	}
}

// The same ephemeral container, added through the controller-runtime
// client and the dynamic client.
func TestOtherClients(t *testing.T) {
	srv := ephemeratest.Start(t, ephemeratest.WithObjects(web))
	ctx := context.Background()
	pod := &corev1.Pod{}
	if err := srv.Client.Get(ctx, client.ObjectKeyFromObject(web), pod); err != nil {
		t.Fatal(err)
	}
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "ctrl", Image: "busybox:1.36"}})
	if err := srv.Client.SubResource("ephemeralcontainers").Update(ctx, pod); err != nil {
		t.Fatalf("controller-runtime: %v", err)
	}
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	patch := []byte(`{"spec":{"ephemeralContainers":[{"name":"ctrl","image":"busybox:1.36"},{"name":"dyn","image":"busybox:1.36"}]}}`)
	u, err := srv.Dynamic.Resource(pods).Namespace("default").Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers")
	if err != nil {
		t.Fatalf("dynamic: %v", err)
	}
	ecs, _, _ := unstructuredSlice(u.Object, "spec", "ephemeralContainers")
	if len(ecs) != 2 {
		t.Errorf("ephemeral containers after both clients: %v", ecs)
	}
}

func unstructuredSlice(obj map[string]any, path ...string) ([]any, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[p]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}

func TestManifests(t *testing.T) {
	srv := ephemeratest.Start(t, ephemeratest.WithManifests("testdata/web.yaml"))
	if _, err := srv.Clientset.CoreV1().Pods("shop").Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Pod\n---\nmetadata: {name: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ephemeratest.ReadManifests(bad); err == nil || !strings.Contains(err.Error(), "document 2 has no apiVersion or kind") {
		t.Errorf("bad manifest: %v", err)
	}
}

// Cluster mode: the pod runs, the ephemeral container runs, then
// terminates as its rule says.
func TestClusterWaits(t *testing.T) {
	exit := int32(3)
	srv := ephemeratest.Start(t, ephemeratest.WithObjects(web), ephemeratest.WithCluster(kubelet.Options{Rules: kubelet.Rules{
		Containers: map[string]kubelet.Outcome{"short": {ExitCode: &exit, ExitAfter: kubelet.Duration(300 * time.Millisecond)}},
	}}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.WaitForPodRunning(ctx, "default", "web"); err != nil {
		t.Fatal(err)
	}
	patch := `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox:1.36","stdin":true},{"name":"short","image":"busybox:1.36"}]}}`
	if _, err := srv.Clientset.CoreV1().Pods("default").Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitForEphemeralContainer(ctx, "default", "web", "dbg", ephemeratest.Running); err != nil {
		t.Fatal(err)
	}
	p, err := srv.WaitForEphemeralContainer(ctx, "default", "web", "short", ephemeratest.Terminated)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Status.EphemeralContainerStatuses {
		if st.Name == "short" && st.State.Terminated.ExitCode != 3 {
			t.Errorf("exit code %d", st.State.Terminated.ExitCode)
		}
	}
	// Waiting for a terminated container to run fails at once.
	if _, err := srv.WaitForEphemeralContainer(ctx, "default", "web", "short", ephemeratest.Running); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Errorf("waiting for a terminated container to run: %v", err)
	}
}

// A fault from the start: the first ephemeral-container update conflicts,
// RetryOnConflict retries once, and the request log shows both.
func TestFaultsOption(t *testing.T) {
	srv := ephemeratest.Start(t, ephemeratest.WithObjects(web), ephemeratest.WithRequestLog(),
		ephemeratest.WithFaults(faults.Rule{Name: "conflict-once", Times: 1, Conflict: &faults.ConflictFault{},
			Match: faults.Match{Verbs: []string{"update"}, Resources: []string{"pods/ephemeralcontainers"}}}))
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := srv.Clientset.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox:1.36"}})
		_, err = srv.Clientset.CoreV1().Pods("default").UpdateEphemeralContainers(ctx, "web", p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	updates := srv.RequestLog().Requests(requestlog.Verb("update"), requestlog.Resource("pods/ephemeralcontainers"))
	if len(updates) != 2 || updates[0].ResponseStatus.Code != 409 || updates[1].ResponseStatus.Code != 200 {
		t.Errorf("updates: %d", len(updates))
	}
	if st, _ := srv.Faults.Get("conflict-once"); st.Fired != 1 {
		t.Errorf("fired %d", st.Fired)
	}
}
