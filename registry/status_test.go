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

package registry_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/registry/node"
	"github.com/ephemera-dev/ephemera/registry/registrytest"
)

// StatusREST, shown on nodes/status (pods/status and namespaces/status are
// tested in their packages): the shape of upstream's per-resource StatusREST
// types (e.g. pkg/registry/core/node/storage.StatusREST).
func TestStatusREST(t *testing.T) {
	s, err := node.NewStorage(registrytest.NewOptions(t), registrytest.Typer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Node.Destroy)
	var st *registry.StatusREST = s.Status
	ctx := registrytest.Context(metav1.NamespaceNone)

	if _, ok := st.New().(*corev1.Node); !ok {
		t.Errorf("New() = %T, want the resource's type", st.New())
	}
	want := fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))
	if got := st.GetResetFields()["v1"]; got == nil || !got.Equals(want) {
		t.Errorf("reset fields are the status strategy's (spec): %v", got)
	}

	created, err := s.Node.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, "n1", &metav1.GetOptions{})
	if err != nil || got.(*corev1.Node).UID != created.(*corev1.Node).UID {
		t.Fatalf("Get returns the whole object: %v %v", got, err)
	}

	upd := got.(*corev1.Node).DeepCopy()
	upd.Spec.Unschedulable = true
	upd.Status.Phase = corev1.NodeRunning
	obj, createdOnUpdate, err := st.Update(ctx, "n1", rest.DefaultUpdatedObjectInfo(upd), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{})
	if err != nil || createdOnUpdate {
		t.Fatalf("update: created=%v err=%v", createdOnUpdate, err)
	}
	if n := obj.(*corev1.Node); n.Spec.Unschedulable || n.Status.Phase != corev1.NodeRunning {
		t.Errorf("the status strategy keeps spec and takes status: %+v", n)
	}

	// Subresources never create on update, whatever the handler asks.
	_, _, err = st.Update(ctx, "n2", rest.DefaultUpdatedObjectInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("update of a missing object with forceAllowCreate: %v, want NotFound", err)
	}

	tbl, err := st.ConvertToTable(ctx, obj, nil)
	if err != nil || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "n1" {
		t.Errorf("tables are the resource's: %v %v", tbl, err)
	}

	// Destroy leaves the shared store to the resource's own REST.
	st.Destroy()
	if _, err := s.Node.Get(ctx, "n1", &metav1.GetOptions{}); err != nil {
		t.Errorf("after StatusREST.Destroy the store still serves: %v", err)
	}
}
