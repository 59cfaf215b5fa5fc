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

package internaldecode

import (
	"encoding/json"
	"reflect"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	mirrors   sync.Map // reflect.Type -> reflect.Type
	metaPkg   = reflect.TypeOf(metav1.ObjectMeta{}).PkgPath()
	unmarshal = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// mirror returns a struct type with t's fields, names and nesting but no
// JSON tags: the layout in which encoding/json (and sigs.k8s.io/json) reads
// an internal k8s.io/kubernetes type. Types that decode themselves
// (Quantity, Time, IntOrString, RawExtension) and the meta/v1 types, which
// internal types share with v1 (ObjectMeta, TypeMeta), are kept.
func mirror(t reflect.Type) reflect.Type {
	if m, ok := mirrors.Load(t); ok {
		return m.(reflect.Type)
	}
	m := build(t)
	mirrors.Store(t, m)
	return m
}

func build(t reflect.Type) reflect.Type {
	switch t.Kind() {
	case reflect.Pointer:
		return reflect.PointerTo(mirror(t.Elem()))
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return t
		}
		return reflect.SliceOf(mirror(t.Elem()))
	case reflect.Map:
		return reflect.MapOf(t.Key(), mirror(t.Elem()))
	case reflect.Struct:
		if t.PkgPath() == metaPkg || reflect.PointerTo(t).Implements(unmarshal) {
			return t
		}
		return reflect.StructOf(flatten(t, map[string]bool{}))
	}
	return t
}

// flatten lists the fields of the mirror of struct t. An embedded struct
// without a JSON tag is promoted by encoding/json; reflect.StructOf cannot
// embed types with methods (ObjectMeta), so its fields are added directly,
// after t's own (the shallower field wins, as in encoding/json). The
// promoted fields of a meta/v1 type keep their tags ("name", "labels").
func flatten(t reflect.Type, seen map[string]bool) []reflect.StructField {
	var fields []reflect.StructField
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		switch {
		case !f.IsExported() && !f.Anonymous:
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			embedded = append(embedded, f.Type)
		case !seen[f.Name]:
			seen[f.Name] = true
			mf := reflect.StructField{Name: f.Name, Type: mirror(f.Type)}
			if t.PkgPath() == metaPkg {
				mf.Type, mf.Tag = f.Type, f.Tag
			}
			fields = append(fields, mf)
		}
	}
	for _, e := range embedded {
		fields = append(fields, flatten(e, seen)...)
	}
	return fields
}

// copyBack copies a decoded mirror value into the v1 value it mirrors.
func copyBack(dst, src reflect.Value) {
	if src.Type() == dst.Type() {
		dst.Set(src)
		return
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.New(dst.Type().Elem()))
		copyBack(dst.Elem(), src.Elem())
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
		for i := 0; i < src.Len(); i++ {
			copyBack(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.MakeMapWithSize(dst.Type(), src.Len()))
		iter := src.MapRange()
		for iter.Next() {
			v := reflect.New(dst.Type().Elem()).Elem()
			copyBack(v, iter.Value())
			dst.SetMapIndex(iter.Key().Convert(dst.Type().Key()), v)
		}
	case reflect.Struct:
		copyFields(dst, src)
	default:
		dst.Set(src.Convert(dst.Type()))
	}
}

// copyFields copies the fields of a flattened mirror struct src into dst,
// descending into dst's embedded structs, whose fields src holds directly.
func copyFields(dst, src reflect.Value) {
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		switch {
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			copyFields(dst.Field(i), src)
		case f.IsExported():
			if sf := src.FieldByName(f.Name); sf.IsValid() {
				copyBack(dst.Field(i), sf)
			}
		}
	}
}
