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

package pod

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/registry/registrytest"
	"github.com/ephemera-dev/ephemera/strategy/defaults"
	"github.com/ephemera-dev/ephemera/strategy/validation"
)

func newStorage(t *testing.T) Storage {
	t.Helper()
	s, err := NewStorage(registrytest.NewOptions(t), registrytest.Typer, validation.Options{AllowPrivileged: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Pod.Destroy)
	return s
}

// newPod returns a pod as the server has it after decoding (defaulted).
func newPod(name string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36"}}},
	}
	defaults.DefaultPod(p)
	return p
}

func createPod(t *testing.T, s Storage, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	out, err := s.Pod.Create(registrytest.Context(p.Namespace), p, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", p.Name, err)
	}
	return out.(*corev1.Pod)
}

// The subresources are installed under the paths kube-apiserver uses
// (pkg/registry/core/rest/storage_core.go); pods/log, attach, exec and
// binding come from NewStreaming.
func TestStorageMap(t *testing.T) {
	s := newStorage(t)
	m := s.Map()
	want := map[string]rest.Storage{"pods": s.Pod, "pods/status": s.Status, "pods/ephemeralcontainers": s.EphemeralContainers}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Map() = %v, want %v", m, want)
	}
}

// ShortNames and Categories are upstream's REST.ShortNames and
// REST.Categories: `kubectl get po` and `kubectl get all` find pods.
func TestPodREST(t *testing.T) {
	s := newStorage(t)
	if got := s.Pod.ShortNames(); !reflect.DeepEqual(got, []string{"po"}) {
		t.Errorf("ShortNames() = %q", got)
	}
	if got := s.Pod.Categories(); !reflect.DeepEqual(got, []string{"all"}) {
		t.Errorf("Categories() = %q", got)
	}
	// The main endpoint never writes status (podStrategy.GetResetFields).
	wantReset := map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status"))}
	if got := s.Pod.GetResetFields(); !resetFieldsEqual(got, wantReset) {
		t.Errorf("GetResetFields() = %v", got)
	}

	// A DELETE answers with the pod (ReturnDeletedObject), not a Status; an
	// unscheduled pod goes at once (CheckGracefulDelete gives it 0 s).
	createPod(t, s, newPod("web"))
	obj, deleted, err := s.Pod.Delete(registrytest.Context("default"), "web", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
	if err != nil || !deleted {
		t.Fatalf("delete: deleted=%v err=%v", deleted, err)
	}
	if p, ok := obj.(*corev1.Pod); !ok || p.Name != "web" {
		t.Errorf("delete returned %T %v, want the pod", obj, obj)
	}
}

// With propagationPolicy Foreground the pod stays, marked for deletion with
// the foregroundDeletion finalizer, and nothing removes it: kube-apiserver
// runs with garbage collection enabled and envtest has no garbage collector
// (confirmed on kube-apiserver v1.37.2: 200, finalizers
// ["foregroundDeletion"], and a GET still finds the pod).
func TestDeleteForeground(t *testing.T) {
	s := newStorage(t)
	createPod(t, s, newPod("web"))
	foreground := metav1.DeletePropagationForeground
	obj, deleted, err := s.Pod.Delete(registrytest.Context("default"), "web", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{PropagationPolicy: &foreground})
	if err != nil || deleted {
		t.Fatalf("delete: deleted=%v err=%v", deleted, err)
	}
	if p := obj.(*corev1.Pod); !reflect.DeepEqual(p.Finalizers, []string{metav1.FinalizerDeleteDependents}) || p.DeletionTimestamp == nil {
		t.Errorf("deleted pod: finalizers %q, deletionTimestamp %v", p.Finalizers, p.DeletionTimestamp)
	}
	if _, err := s.Pod.Get(registrytest.Context("default"), "web", &metav1.GetOptions{}); err != nil {
		t.Errorf("the pod must stay: %v", err)
	}
}

// pods/status is registry.StatusREST over a copy of the pod store with the
// status strategy: it reports that strategy's reset fields, prints tables and
// never creates.
func TestStatusREST(t *testing.T) {
	s := newStorage(t)
	var _ rest.Patcher = s.Status
	if _, ok := rest.Storage(s.Status).(rest.TableConvertor); !ok {
		t.Error("pods/status must convert to tables, as upstream's StatusREST does")
	}
	want := map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(
		fieldpath.MakePathOrDie("spec"),
		fieldpath.MakePathOrDie("metadata", "deletionTimestamp"),
		fieldpath.MakePathOrDie("metadata", "ownerReferences"),
	)}
	if got := s.Status.GetResetFields(); !resetFieldsEqual(got, want) {
		t.Errorf("GetResetFields() = %v", got)
	}
	if _, ok := s.Status.New().(*corev1.Pod); !ok {
		t.Errorf("New() = %T, want *v1.Pod", s.Status.New())
	}

	// The status strategy is the one in force: a spec change is dropped.
	created := createPod(t, s, newPod("web"))
	upd := created.DeepCopy()
	upd.Spec.ActiveDeadlineSeconds = new(int64)
	upd.Status.Phase = corev1.PodRunning
	obj, _, err := s.Status.Update(registrytest.Context("default"), "web", rest.DefaultUpdatedObjectInfo(upd), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.(*corev1.Pod); got.Status.Phase != corev1.PodRunning || got.Spec.ActiveDeadlineSeconds != nil {
		t.Errorf("status update: phase %q, activeDeadlineSeconds %v", got.Status.Phase, got.Spec.ActiveDeadlineSeconds)
	}

	// forceAllowCreate from the handler (server-side apply) is ignored.
	_, _, err = s.Status.Update(registrytest.Context("default"), "missing", rest.DefaultUpdatedObjectInfo(newPod("missing")), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("update of a missing pod with forceAllowCreate: got %v, want NotFound", err)
	}
}

// pods/ephemeralcontainers is upstream's EphemeralContainersREST: Get and
// Update only. It has no TableConvertor, so a Table-only Accept gets 406
// (conformance "surface/GET as Table is 406"), and no reset fields, so
// server-side apply records every field sent; and it never creates on
// update, so applying to a missing pod is a 404.
func TestEphemeralContainersREST(t *testing.T) {
	s := newStorage(t)
	var ec rest.Storage = s.EphemeralContainers
	for name, ok := range map[string]bool{
		"rest.Getter":  is[rest.Getter](ec),
		"rest.Updater": is[rest.Updater](ec),
		"rest.Patcher": is[rest.Patcher](ec),
	} {
		if !ok {
			t.Errorf("pods/ephemeralcontainers must implement %s", name)
		}
	}
	for name, ok := range map[string]bool{
		"rest.TableConvertor":            is[rest.TableConvertor](ec),
		"rest.ResetFieldsStrategy":       is[rest.ResetFieldsStrategy](ec),
		"rest.ResetFieldsFilterStrategy": is[rest.ResetFieldsFilterStrategy](ec),
		"rest.Creater":                   is[rest.Creater](ec),
		"rest.Lister":                    is[rest.Lister](ec),
		"rest.GracefulDeleter":           is[rest.GracefulDeleter](ec),
		"rest.Watcher":                   is[rest.Watcher](ec),
	} {
		if ok {
			t.Errorf("pods/ephemeralcontainers must not implement %s (upstream's does not)", name)
		}
	}
	if _, ok := s.EphemeralContainers.New().(*corev1.Pod); !ok {
		t.Errorf("New() = %T, want *v1.Pod", s.EphemeralContainers.New())
	}

	ctx := registrytest.Context("default")
	created := createPod(t, s, newPod("web"))
	got, err := s.EphemeralContainers.Get(ctx, "web", &metav1.GetOptions{})
	if err != nil || got.(*corev1.Pod).UID != created.UID {
		t.Fatalf("Get returns the whole pod: %v %v", got, err)
	}

	// The ephemeral-containers strategy is the one in force: the EC is
	// added, the label change in the same request is dropped.
	upd := created.DeepCopy()
	upd.Labels = map[string]string{"changed": "yes"}
	upd.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "dbg", Image: "busybox:1.36", ImagePullPolicy: corev1.PullIfNotPresent,
		TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}}}
	obj, created2, err := s.EphemeralContainers.Update(ctx, "web", rest.DefaultUpdatedObjectInfo(upd), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil || created2 {
		t.Fatalf("add EC: created=%v err=%v", created2, err)
	}
	if p := obj.(*corev1.Pod); len(p.Spec.EphemeralContainers) != 1 || p.Labels["changed"] != "" || p.Generation != 2 {
		t.Errorf("add EC: ECs %v, labels %v, generation %d", p.Spec.EphemeralContainers, p.Labels, p.Generation)
	}

	// "subresources should never allow create on update".
	_, _, err = s.EphemeralContainers.Update(ctx, "missing", rest.DefaultUpdatedObjectInfo(newPod("missing")), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("update of a missing pod with forceAllowCreate: got %v, want NotFound", err)
	}
	if _, err := s.Pod.Get(ctx, "missing", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the missing pod must not have been created: %v", err)
	}
}

func is[T any](s rest.Storage) bool {
	_, ok := s.(T)
	return ok
}

func resetFieldsEqual(a, b map[fieldpath.APIVersion]*fieldpath.Set) bool {
	if len(a) != len(b) {
		return false
	}
	for v, s := range a {
		if o, ok := b[v]; !ok || !s.Equals(o) {
			return false
		}
	}
	return true
}
