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

// Package table turns stored objects into the metav1.Table that kubectl asks
// for (Accept: application/json;as=Table;v=v1;g=meta.k8s.io), the role
// k8s.io/kubernetes/pkg/printers plays in kube-apiserver.
package table

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"
)

// RowFunc returns the cells of one object's row, in column order, and the
// row's conditions (nil for none).
type RowFunc func(obj runtime.Object) (cells []interface{}, conditions []metav1.TableRowCondition, err error)

// Rows is the RowFunc of a kind whose rows have no conditions: cells gives
// the cells of an object of type T.
func Rows[T runtime.Object](cells func(T) []interface{}) RowFunc {
	return func(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
		o, ok := obj.(T)
		if !ok {
			var want T
			return nil, nil, fmt.Errorf("expected %T, got %T", want, obj)
		}
		return cells(o), nil, nil
	}
}

// Convertor is a rest.TableConvertor for one resource.
type Convertor struct {
	Columns []metav1.TableColumnDefinition
	Row     RowFunc
}

var _ rest.TableConvertor = Convertor{}

// ConvertToTable implements rest.TableConvertor for a single object or a list.
func (c Convertor) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	t := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		t.ColumnDefinitions = c.Columns
	}
	addRow := func(obj runtime.Object) error {
		cells, conditions, err := c.Row(obj)
		if err != nil {
			return err
		}
		if len(cells) != len(c.Columns) {
			return fmt.Errorf("table row has %d cells for %d columns", len(cells), len(c.Columns))
		}
		t.Rows = append(t.Rows, metav1.TableRow{Cells: cells, Conditions: conditions, Object: runtime.RawExtension{Object: obj}})
		return nil
	}
	if meta.IsListType(object) {
		t.Rows = make([]metav1.TableRow, 0)
		if err := meta.EachListItem(object, addRow); err != nil {
			return nil, err
		}
		if l, err := meta.ListAccessor(object); err == nil {
			t.ResourceVersion = l.GetResourceVersion()
			t.Continue = l.GetContinue()
			t.RemainingItemCount = l.GetRemainingItemCount()
		}
	} else {
		if err := addRow(object); err != nil {
			return nil, err
		}
		if m, err := meta.Accessor(object); err == nil {
			t.ResourceVersion = m.GetResourceVersion()
		}
	}
	return t, nil
}

// Age renders a creation timestamp the way kubectl's AGE column does.
func Age(ts metav1.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(ts.Time))
}

// NameColumn and AgeColumn are the columns every resource starts and ends with.
var (
	NameColumn = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}
	AgeColumn  = metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}
)
