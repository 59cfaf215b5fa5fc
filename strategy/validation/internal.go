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

package validation

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// toInternal converts a k8s.io/api v1 value into its mirror of the internal
// k8s.io/kubernetes/pkg/apis/core type (zz_generated.internaltypes.go).
//
// Why: kube-apiserver renders diffs (diff.Diff) and some error values
// (field.Invalid with a struct) by JSON-marshalling *internal* structs, which
// have no json tags. The mirrors have the same field names, order and JSON
// shape; their generator (hack/reference/kubernetes/cmd/internaltypes)
// verified that every internal field exists in v1 under the same name with
// the same shape, so a by-name copy is exact.
// nil slices/maps/pointers stay nil and empty ones stay empty, because the
// marshalled text distinguishes null from [] / {}.
func toInternal[T any](in any) T {
	var out T
	convertValue(reflect.ValueOf(in), reflect.ValueOf(&out).Elem())
	return out
}

func convertValue(src, dst reflect.Value) {
	if !src.IsValid() {
		return
	}
	if src.Type() == dst.Type() {
		dst.Set(src)
		return
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if src.Kind() == reflect.Pointer {
			if src.IsNil() {
				return
			}
			src = src.Elem()
		}
		p := reflect.New(dst.Type().Elem())
		convertValue(src, p.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			convertValue(src.Index(i), s.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(dst.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(dst.Type().Key()).Elem()
			convertValue(it.Key(), k)
			v := reflect.New(dst.Type().Elem()).Elem()
			convertValue(it.Value(), v)
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Struct:
		if src.Kind() == reflect.Pointer {
			if src.IsNil() {
				return
			}
			src = src.Elem()
		}
		dt := dst.Type()
		for i := 0; i < dt.NumField(); i++ {
			f := dt.Field(i)
			name := f.Name
			if f.Anonymous {
				// Embedded mirrors are named internalX; v1 embeds X.
				name = strings.TrimPrefix(name, "internal")
			}
			sf := src.FieldByName(name)
			if !sf.IsValid() {
				panic(fmt.Sprintf("internal mirror %s.%s has no v1 counterpart in %s", dt.Name(), f.Name, src.Type()))
			}
			df := dst.Field(i)
			if !df.CanSet() {
				// Unexported embedded mirror struct: write through its address.
				df = reflect.NewAt(df.Type(), unsafe.Pointer(df.UnsafeAddr())).Elem()
			}
			convertValue(sf, df)
		}
	default:
		// Named scalars (corev1.Protocol -> string, ...).
		dst.Set(src.Convert(dst.Type()))
	}
}
