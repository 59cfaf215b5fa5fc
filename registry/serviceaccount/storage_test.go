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

package serviceaccount

import (
	"reflect"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/registrytest"
)

func newREST(t *testing.T) *REST {
	t.Helper()
	r, err := NewREST(registrytest.NewOptions(t), registrytest.Typer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Destroy)
	return r
}

// As pkg/registry/core/serviceaccount/storage: short name sa, DELETE answers
// with the object, and field selectors see only metadata.name and
// metadata.namespace (the store's defaults; upstream registers no field-label
// conversion for service accounts).
func TestREST(t *testing.T) {
	r := newREST(t)
	ctx := registrytest.Context("default")
	if !reflect.DeepEqual(r.ShortNames(), []string{"sa"}) {
		t.Errorf("ShortNames() = %q", r.ShortNames())
	}
	for _, name := range []string{"default", "builder"} {
		if _, err := r.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	list, err := r.List(ctx, &metainternalversion.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", "builder")})
	if err != nil {
		t.Fatal(err)
	}
	if items := list.(*corev1.ServiceAccountList).Items; len(items) != 1 || items[0].Name != "builder" {
		t.Errorf("metadata.name=builder selected %v", items)
	}
	list, err = r.List(ctx, &metainternalversion.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.namespace", "other")})
	if err != nil || len(list.(*corev1.ServiceAccountList).Items) != 0 {
		t.Errorf("metadata.namespace=other selected %v (%v)", list, err)
	}

	obj, deleted, err := r.Delete(ctx, "builder", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
	if sa, ok := obj.(*corev1.ServiceAccount); err != nil || !deleted || !ok || sa.Name != "builder" {
		t.Errorf("delete returned %T %v, deleted=%v, %v; want the service account", obj, obj, deleted, err)
	}
}

// printServiceAccount (pkg/printers/internalversion/printers.go): name and
// age only.
func TestTable(t *testing.T) {
	r := newREST(t)
	obj, err := r.Create(registrytest.Context("default"), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := r.ConvertToTable(registrytest.Context("default"), obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.ColumnDefinitions) != 2 || tbl.ColumnDefinitions[0].Name != "Name" || tbl.ColumnDefinitions[1].Name != "Age" {
		t.Errorf("columns %+v", tbl.ColumnDefinitions)
	}
	if len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "default" || !regexp.MustCompile(`^[0-9]+s$`).MatchString(tbl.Rows[0].Cells[1].(string)) {
		t.Errorf("rows %v", tbl.Rows)
	}
}
