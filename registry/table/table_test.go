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

package table

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

var convertor = Convertor{
	Columns: []metav1.TableColumnDefinition{NameColumn, AgeColumn},
	Row: func(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
		sa, ok := obj.(*corev1.ServiceAccount)
		if !ok {
			return nil, nil, fmt.Errorf("expected *v1.ServiceAccount, got %T", obj)
		}
		return []interface{}{sa.Name, Age(sa.CreationTimestamp)}, nil, nil
	},
}

// The shape pkg/printers' TableGenerator gives (tablegenerator.go,
// GenerateTable): for a list, one row per item plus the list's
// resourceVersion, continue token and remaining count; for an object, one
// row and its resourceVersion; the object itself rides in each row.
func TestConvertToTable(t *testing.T) {
	ctx := context.Background()
	list := &corev1.ServiceAccountList{
		ListMeta: metav1.ListMeta{ResourceVersion: "7", Continue: "token", RemainingItemCount: ptr.To[int64](3)},
		Items:    []corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}},
	}
	tbl, err := convertor.ConvertToTable(ctx, list, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.ResourceVersion != "7" || tbl.Continue != "token" || *tbl.RemainingItemCount != 3 {
		t.Errorf("list meta: %+v", tbl.ListMeta)
	}
	if !reflect.DeepEqual(tbl.ColumnDefinitions, convertor.Columns) || len(tbl.Rows) != 2 {
		t.Fatalf("columns %v, %d rows", tbl.ColumnDefinitions, len(tbl.Rows))
	}
	if tbl.Rows[1].Cells[0] != "b" || tbl.Rows[1].Object.Object.(*corev1.ServiceAccount).Name != "b" {
		t.Errorf("row 1: %+v", tbl.Rows[1])
	}

	// An empty list is an empty, non-nil row list (it renders as "rows": []).
	tbl, err = convertor.ConvertToTable(ctx, &corev1.ServiceAccountList{}, nil)
	if err != nil || tbl.Rows == nil || len(tbl.Rows) != 0 {
		t.Errorf("empty list: %#v %v", tbl.Rows, err)
	}

	one := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "9"}}
	tbl, err = convertor.ConvertToTable(ctx, one, nil)
	if err != nil || tbl.ResourceVersion != "9" || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "a" {
		t.Errorf("one object: %+v %v", tbl, err)
	}

	// ?includeObject and noHeaders arrive as TableOptions: no headers, no
	// column definitions.
	tbl, err = convertor.ConvertToTable(ctx, one, &metav1.TableOptions{NoHeaders: true})
	if err != nil || tbl.ColumnDefinitions != nil || len(tbl.Rows) != 1 {
		t.Errorf("noHeaders: %+v %v", tbl, err)
	}

	// A row function's error and a row of the wrong width fail the request.
	if _, err := convertor.ConvertToTable(ctx, &corev1.Pod{}, nil); err == nil {
		t.Error("a row error must fail the conversion")
	}
	short := Convertor{Columns: convertor.Columns, Row: func(runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
		return []interface{}{"only one"}, nil, nil
	}}
	if _, err := short.ConvertToTable(ctx, one, nil); err == nil || err.Error() != "table row has 1 cells for 2 columns" {
		t.Errorf("short row: %v", err)
	}
}

// Age is translateTimestampSince: kubectl's human durations, <unknown> for
// no timestamp.
func TestAge(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{{90 * time.Second, "90s"}, {10 * time.Minute, "10m"}, {3 * time.Hour, "3h"}, {49 * time.Hour, "2d1h"}, {400 * 24 * time.Hour, "400d"}} {
		if got := Age(metav1.NewTime(time.Now().Add(-tc.ago))); got != tc.want {
			t.Errorf("Age(%v ago) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	if got := Age(metav1.Time{}); got != "<unknown>" {
		t.Errorf("Age(zero) = %q", got)
	}
}

// The columns every resource starts and ends with, as every printer in
// pkg/printers/internalversion defines them.
func TestCommonColumns(t *testing.T) {
	if NameColumn.Name != "Name" || NameColumn.Format != "name" || NameColumn.Description != (metav1.ObjectMeta{}).SwaggerDoc()["name"] {
		t.Errorf("NameColumn %+v", NameColumn)
	}
	if AgeColumn.Name != "Age" || AgeColumn.Description != (metav1.ObjectMeta{}).SwaggerDoc()["creationTimestamp"] {
		t.Errorf("AgeColumn %+v", AgeColumn)
	}
}
