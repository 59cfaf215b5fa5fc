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

package namespace

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/registrytest"
)

// The expectations below were confirmed on kube-apiserver v1.37.2 (envtest)
// with the same requests: codes, messages and returned namespaces.

func newStorage(t *testing.T) Storage {
	t.Helper()
	s, err := NewStorage(registrytest.NewOptions(t), registrytest.Typer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Namespace.Destroy)
	return s
}

var ctx = registrytest.Context(metav1.NamespaceNone)

func create(t *testing.T, s Storage, name string) *corev1.Namespace {
	t.Helper()
	obj, err := s.Namespace.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*corev1.Namespace)
}

func get(t *testing.T, s Storage, name string) *corev1.Namespace {
	t.Helper()
	obj, err := s.Namespace.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*corev1.Namespace)
}

func deleteNS(s Storage, name string, options *metav1.DeleteOptions) (*corev1.Namespace, bool, error) {
	obj, deleted, err := s.Namespace.Delete(ctx, name, rest.ValidateAllObjectFunc, options)
	ns, _ := obj.(*corev1.Namespace)
	return ns, deleted, err
}

func TestStorageMap(t *testing.T) {
	s := newStorage(t)
	want := map[string]rest.Storage{"namespaces": s.Namespace, "namespaces/status": s.Status, "namespaces/finalize": s.Finalize}
	if got := s.Map(); !reflect.DeepEqual(got, want) {
		t.Errorf("Map() = %v", got)
	}
	if s.Namespace.NamespaceScoped() || !reflect.DeepEqual(s.Namespace.ShortNames(), []string{"ns"}) || s.Namespace.GetSingularName() != "namespace" {
		t.Errorf("namespaces: scoped %v, short names %q, singular %q", s.Namespace.NamespaceScoped(), s.Namespace.ShortNames(), s.Namespace.GetSingularName())
	}
	// namespaces/finalize is PUT only upstream: no Get, no table.
	var fin rest.Storage = s.Finalize
	if _, ok := fin.(rest.Getter); ok {
		t.Error("namespaces/finalize must not implement rest.Getter")
	}
}

// A first DELETE marks the namespace Terminating and answers 200 with it;
// with spec.finalizers left (no namespace controller runs, as in envtest) it
// stays, and a second DELETE answers 200 with it unchanged.
func TestDeleteMarksTerminating(t *testing.T) {
	s := newStorage(t)
	created := create(t, s, "a")

	ns, deleted, err := deleteNS(s, "a", nil)
	if err != nil || deleted {
		t.Fatalf("first delete: deleted=%v err=%v", deleted, err)
	}
	if ns.DeletionTimestamp == nil || ns.Status.Phase != corev1.NamespaceTerminating || !reflect.DeepEqual(ns.Spec.Finalizers, []corev1.FinalizerName{corev1.FinalizerKubernetes}) {
		t.Errorf("first delete returned %+v", ns)
	}
	if ns.UID != created.UID || ns.ResourceVersion == created.ResourceVersion {
		t.Errorf("the returned namespace is the updated one: uid %s rv %s (created rv %s)", ns.UID, ns.ResourceVersion, created.ResourceVersion)
	}
	stored := get(t, s, "a")

	again, deleted, err := deleteNS(s, "a", &metav1.DeleteOptions{})
	if err != nil || deleted {
		t.Fatalf("second delete: deleted=%v err=%v", deleted, err)
	}
	if again.ResourceVersion != stored.ResourceVersion || !again.DeletionTimestamp.Equal(stored.DeletionTimestamp) {
		t.Errorf("second delete must change nothing: rv %s -> %s", stored.ResourceVersion, again.ResourceVersion)
	}
	if got := get(t, s, "a"); got.ResourceVersion != stored.ResourceVersion {
		t.Errorf("stored namespace changed: rv %s -> %s", stored.ResourceVersion, got.ResourceVersion)
	}
}

// Once spec.finalizers is empty (namespaces/finalize), the namespace goes.
func TestFinalizeRemovesTerminatingNamespace(t *testing.T) {
	s := newStorage(t)
	create(t, s, "a")
	if _, _, err := deleteNS(s, "a", nil); err != nil {
		t.Fatal(err)
	}
	upd := get(t, s, "a")
	upd.Spec.Finalizers = nil
	obj, _, err := s.Finalize.Update(ctx, "a", rest.DefaultUpdatedObjectInfo(upd), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns := obj.(*corev1.Namespace); len(ns.Spec.Finalizers) != 0 {
		t.Errorf("finalize returned %+v", ns)
	}
	if _, err := s.Namespace.Get(ctx, "a", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after finalize: %v, want NotFound", err)
	}
}

func TestDeletePreconditions(t *testing.T) {
	s := newStorage(t)
	ns := create(t, s, "a")
	bad, rv := types.UID("nope"), "1"

	_, _, err := deleteNS(s, "a", &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &bad}})
	want := `Operation cannot be fulfilled on namespaces "a": Precondition failed: UID in precondition: nope, UID in object meta: ` + string(ns.UID)
	if !apierrors.IsConflict(err) || err.Error() != want {
		t.Errorf("UID precondition: got %v\nwant 409 %s", err, want)
	}
	_, _, err = deleteNS(s, "a", &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	want = `Operation cannot be fulfilled on namespaces "a": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ` + ns.ResourceVersion
	if !apierrors.IsConflict(err) || err.Error() != want {
		t.Errorf("resourceVersion precondition: got %v\nwant 409 %s", err, want)
	}
	if got := get(t, s, "a"); got.DeletionTimestamp != nil {
		t.Errorf("a failed precondition must change nothing: %+v", got)
	}
	// Matching preconditions delete.
	if _, _, err := deleteNS(s, "a", &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ns.UID, ResourceVersion: &ns.ResourceVersion}}); err != nil {
		t.Errorf("matching preconditions: %v", err)
	}

	_, _, err = deleteNS(s, "missing", nil)
	if !apierrors.IsNotFound(err) || err.Error() != `namespaces "missing" not found` {
		t.Errorf("missing namespace: %v", err)
	}
}

func TestDeleteDryRunAndValidation(t *testing.T) {
	s := newStorage(t)
	create(t, s, "a")
	ns, _, err := deleteNS(s, "a", &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil || ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Fatalf("dry run answers as a delete would: %+v %v", ns, err)
	}
	if got := get(t, s, "a"); got.DeletionTimestamp != nil || got.Status.Phase != corev1.NamespaceActive {
		t.Errorf("dry run stored %+v", got)
	}

	// Admission's validation runs on the stored namespace; its refusal
	// changes nothing.
	refuse := func(context.Context, runtime.Object) error {
		return apierrors.NewForbidden(corev1.Resource("namespaces"), "a", errors.New("no"))
	}
	if _, _, err := s.Namespace.Delete(ctx, "a", refuse, nil); !apierrors.IsForbidden(err) {
		t.Errorf("deleteValidation error: %v", err)
	}
	if got := get(t, s, "a"); got.DeletionTimestamp != nil {
		t.Errorf("refused delete stored %+v", got)
	}
}

// propagationPolicy Foreground or Orphan leave the garbage collector's
// finalizer on metadata.finalizers (REST.Delete); a later DELETE leaves it.
func TestDeletePropagationFinalizers(t *testing.T) {
	s := newStorage(t)
	foreground, orphan := metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan
	create(t, s, "fg")
	ns, _, err := deleteNS(s, "fg", &metav1.DeleteOptions{PropagationPolicy: &foreground})
	if err != nil || !reflect.DeepEqual(ns.Finalizers, []string{metav1.FinalizerDeleteDependents}) {
		t.Errorf("foreground: %v %v", ns.Finalizers, err)
	}
	ns, _, err = deleteNS(s, "fg", &metav1.DeleteOptions{PropagationPolicy: &orphan})
	if err != nil || !reflect.DeepEqual(ns.Finalizers, []string{metav1.FinalizerDeleteDependents}) {
		t.Errorf("a second delete of a terminating namespace changes no finalizer: %v %v", ns.Finalizers, err)
	}
	create(t, s, "or")
	if ns, _, err = deleteNS(s, "or", &metav1.DeleteOptions{PropagationPolicy: &orphan}); err != nil || !reflect.DeepEqual(ns.Finalizers, []string{metav1.FinalizerOrphanDependents}) {
		t.Errorf("orphan: %v %v", ns.Finalizers, err)
	}
}

// namespaces/status keeps spec; its update leaves a terminating namespace
// without finalizers removed, as upstream's ShouldDeleteNamespaceDuringUpdate.
func TestStatus(t *testing.T) {
	s := newStorage(t)
	create(t, s, "a")
	upd := get(t, s, "a")
	upd.Spec.Finalizers = nil
	upd.Labels["x"] = "y"
	obj, _, err := s.Status.Update(ctx, "a", rest.DefaultUpdatedObjectInfo(upd), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns := obj.(*corev1.Namespace); len(ns.Spec.Finalizers) != 1 || ns.Labels["x"] != "y" {
		t.Errorf("status update: %+v", ns)
	}
}

func TestTable(t *testing.T) {
	s := newStorage(t)
	ns := create(t, s, "a")
	tbl, err := s.Namespace.ConvertToTable(ctx, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range tbl.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if !reflect.DeepEqual(names, []string{"Name", "Status", "Age"}) || tbl.ColumnDefinitions[1].Description != "The status of the namespace" {
		t.Errorf("columns %q", names)
	}
	if len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "a" || tbl.Rows[0].Cells[1] != "Active" || !regexp.MustCompile(`^[0-9]+s$`).MatchString(tbl.Rows[0].Cells[2].(string)) {
		t.Errorf("row %v", tbl.Rows)
	}
}
