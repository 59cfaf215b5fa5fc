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
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// FuzzEphemeralContainersPatch sends arbitrary patch bodies, of each patch
// type, to pods/ephemeralcontainers of a fresh pod and checks what must hold
// whatever the body: the server answers (no 5xx, no hang), and a request it
// accepts changes nothing but spec.ephemeralContainers, keeps every existing
// ephemeral container as it was, and bumps metadata.generation by exactly
// one iff the ephemeral containers changed.
//
//	go test ./apiserver/ -run '^$' -fuzz FuzzEphemeralContainersPatch -fuzztime 60s
func FuzzEphemeralContainersPatch(f *testing.F) {
	seeds := []struct {
		patchType uint8
		body      string
	}{
		{0, `{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox","resources":{},"terminationMessagePolicy":"File","securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}}]}}`},
		{0, `{"spec":{"$setElementOrder/ephemeralContainers":[{"name":"existing"},{"name":"new"}],"ephemeralContainers":[{"name":"new","image":"busybox"}]}}`},
		{0, `{"spec":{"ephemeralContainers":[{"name":"existing","image":"changed"}]}}`},
		{0, `{"metadata":{"labels":{"x":"y"}},"spec":{"activeDeadlineSeconds":5,"containers":[{"name":"app","image":"other"}]},"status":{"phase":"Running"}}`},
		{1, `{"spec":{"ephemeralContainers":[]}}`},
		{1, `{"spec":{"ephemeralContainers":[{"name":"existing","image":"busybox:1.36"},{"name":"m","image":"busybox","ports":[{"containerPort":80}]}]}}`},
		{1, `{"metadata":{"resourceVersion":"1"}}`},
		{2, `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"j","image":"busybox"}}]`},
		{2, `[{"op":"remove","path":"/spec/ephemeralContainers/0"}]`},
		{2, `[{"op":"test","path":"/spec/ephemeralContainers/0/name","value":"nope"}]`},
		{0, `{"spec":{"ephemeralContainers":[{"name":"Bad_Name","image":" padded ","targetContainerName":"ghost","volumeMounts":[{"name":"v","mountPath":"/x","subPath":"../y"}]}]}}`},
		{0, `not json`},
		{1, `{"spec":{"ephemeralContainers":[{"name":"e","image":"busybox","lifecycle":{},"resources":{"limits":{}}}]}}`},
	}
	for _, s := range seeds {
		f.Add(s.patchType, []byte(s.body))
	}

	env := &apiserver.Environment{}
	cfg, err := env.Start()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = env.Stop() })
	cs := kubernetes.NewForConfigOrDie(cfg)
	pods := cs.CoreV1().Pods("default")
	patchTypes := []types.PatchType{types.StrategicMergePatchType, types.MergePatchType, types.JSONPatchType}
	var n atomic.Int64

	f.Fuzz(func(t *testing.T, patchType uint8, body []byte) {
		ctx := context.Background()
		name := fmt.Sprintf("fuzz-%d", n.Add(1))
		base := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "fuzz"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
		}
		created, err := pods.Create(ctx, base, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer pods.Delete(ctx, name, metav1.DeleteOptions{})
		created.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "existing", Image: "busybox"}}}
		before, err := pods.UpdateEphemeralContainers(ctx, name, created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}

		pt := patchTypes[int(patchType)%len(patchTypes)]
		after, err := pods.Patch(ctx, name, pt, body, metav1.PatchOptions{}, "ephemeralcontainers")
		if err != nil {
			status, ok := err.(apierrors.APIStatus)
			if !ok {
				t.Fatalf("%s patch %q: no API status in the answer: %v", pt, body, err)
			}
			if code := status.Status().Code; code < http.StatusBadRequest || code >= http.StatusInternalServerError {
				t.Fatalf("%s patch %q: answered %d, want a 4xx refusal: %v", pt, body, code, err)
			}
			now, err := pods.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if now.ResourceVersion != before.ResourceVersion {
				t.Fatalf("a refused patch changed the pod (resourceVersion %s -> %s)", before.ResourceVersion, now.ResourceVersion)
			}
			return
		}

		if !apiequality.Semantic.DeepEqual(withoutEphemeral(before.Spec), withoutEphemeral(after.Spec)) {
			t.Fatalf("%s patch %q changed the spec outside ephemeralContainers", pt, body)
		}
		if !apiequality.Semantic.DeepEqual(before.Status, after.Status) {
			t.Fatalf("%s patch %q changed the status", pt, body)
		}
		if !apiequality.Semantic.DeepEqual(before.Labels, after.Labels) || !apiequality.Semantic.DeepEqual(before.Annotations, after.Annotations) {
			t.Fatalf("%s patch %q changed labels or annotations", pt, body)
		}
		old := before.Spec.EphemeralContainers[0]
		found := false
		for _, ec := range after.Spec.EphemeralContainers {
			if ec.Name == old.Name {
				found = true
				if !apiequality.Semantic.DeepEqual(ec, old) {
					t.Fatalf("%s patch %q changed existing ephemeral container %q", pt, body, old.Name)
				}
			}
		}
		if !found {
			t.Fatalf("%s patch %q removed existing ephemeral container %q", pt, body, old.Name)
		}
		changed := !apiequality.Semantic.DeepEqual(before.Spec.EphemeralContainers, after.Spec.EphemeralContainers)
		want := before.Generation
		if changed {
			want++
		}
		if after.Generation != want {
			t.Fatalf("%s patch %q: generation %d -> %d, want %d (ephemeral containers changed: %v)", pt, body, before.Generation, after.Generation, want, changed)
		}
	})
}

func withoutEphemeral(spec corev1.PodSpec) corev1.PodSpec {
	spec.EphemeralContainers = nil
	return spec
}
