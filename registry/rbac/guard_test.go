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

package rbac_test

import (
	"context"
	"errors"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	rbacregistry "github.com/ephemera-dev/ephemera/registry/rbac"
	"github.com/ephemera-dev/ephemera/registry/rbac/role"
	"github.com/ephemera-dev/ephemera/registry/registrytest"
)

// The guard's own rules; what RoleGuard and BindingGuard check is proven on
// the wire by the conformance rbac/ scenarios against envtest.
func TestGuard(t *testing.T) {
	store, err := role.NewStore(registrytest.NewOptions(t), registrytest.Typer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Destroy)
	ctx := registrytest.Context("default")
	var checked []string // name and whether an old object was given
	refuse := errors.New("refused")
	guard := func(skip bool, err error) rbacregistry.Guard {
		return rbacregistry.Guard{
			Skip: func(context.Context) bool { return skip },
			Check: func(_ context.Context, obj, old runtime.Object) error {
				checked = append(checked, obj.(*rbacv1.Role).Name+map[bool]string{true: "+old", false: ""}[old != nil])
				return err
			},
		}
	}
	newRole := func(name string) *rbacv1.Role {
		return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	}

	if _, err := guard(true, refuse).Create(ctx, store, newRole("skipped"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil || len(checked) != 0 {
		t.Errorf("a skipped request is not checked: %v %q", err, checked)
	}
	if _, err := guard(false, refuse).Create(ctx, store, newRole("refused"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); !errors.Is(err, refuse) {
		t.Errorf("a refused create fails with the check's error: %v", err)
	}
	if _, err := store.Get(ctx, "refused", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a refused create stores nothing: %v", err)
	}
	checked = nil
	if _, err := guard(false, nil).Create(ctx, store, newRole("ok"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil || len(checked) != 1 || checked[0] != "ok" {
		t.Errorf("create: %v %q", err, checked)
	}

	update := func(g rbacregistry.Guard, mutate func(*rbacv1.Role)) error {
		obj, err := store.Get(ctx, "ok", &metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := obj.(*rbacv1.Role).DeepCopy()
		mutate(r)
		_, _, err = g.Update(ctx, store, "ok", rest.DefaultUpdatedObjectInfo(r), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
		return err
	}
	checked = nil
	if err := update(guard(false, nil), func(r *rbacv1.Role) { r.Rules[0].Verbs = []string{"list"} }); err != nil || len(checked) != 1 || checked[0] != "ok+old" {
		t.Errorf("update is checked with the old object: %v %q", err, checked)
	}
	checked = nil
	if err := update(guard(false, refuse), func(r *rbacv1.Role) { r.Rules[0].Verbs = []string{"watch"} }); !errors.Is(err, refuse) {
		t.Errorf("a refused update fails: %v", err)
	}
	// Changing only the garbage-collection fields needs no check.
	checked = nil
	if err := update(guard(false, refuse), func(r *rbacv1.Role) {
		r.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: "u"}}
	}); err != nil || len(checked) != 0 {
		t.Errorf("owner-reference-only update: %v %q", err, checked)
	}
}
