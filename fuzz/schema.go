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

package fuzz

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// kind is the JSON shape of a v1 field.
type kind int

const (
	kindObject kind = iota
	kindList
	kindMap
	kindString
	kindInt
	kindFloat
	kindBool
	kindQuantity    // resource.Quantity: "100m", "1Gi", or a number
	kindIntOrString // intstr.IntOrString
	kindTime        // metav1.Time and MicroTime: RFC 3339
	kindAny         // runtime.RawExtension and other free-form JSON
)

// shape describes the JSON form of a Go API type: the v1 schema as the Go
// definitions in k8s.io/api state it, including the strategic-merge-patch
// metadata their struct tags carry (the same tags
// k8s.io/apimachinery/pkg/util/strategicpatch reads).
type shape struct {
	kind   kind
	fields []*field // kindObject, sorted by JSON name
	byName map[string]*field
	elem   *shape // kindList, kindMap
}

// field is one JSON field of an object shape.
type field struct {
	name string
	typ  *shape
	// patchStrategy and mergeKey are the field's patchStrategy and
	// patchMergeKey tags ("merge", "retainKeys", "merge,retainKeys",
	// "replace"; the key of list elements).
	patchStrategy string
	mergeKey      string
}

var (
	shapesMu sync.Mutex
	shapes   = map[reflect.Type]*shape{}

	typeQuantity    = reflect.TypeOf(resource.Quantity{})
	typeIntOrString = reflect.TypeOf(intstr.IntOrString{})
	typeTime        = reflect.TypeOf(metav1.Time{})
	typeMicroTime   = reflect.TypeOf(metav1.MicroTime{})
	typeRaw         = reflect.TypeOf(runtime.RawExtension{})
	typeDuration    = reflect.TypeOf(metav1.Duration{})
)

// podShape is the shape of a v1 Pod, built once per process.
var podShape = sync.OnceValue(func() *shape { return shapeOf(reflect.TypeOf(corev1.Pod{})) })

// shapeOf returns the shape of t. Recursive types get the same *shape.
func shapeOf(t reflect.Type) *shape {
	shapesMu.Lock()
	defer shapesMu.Unlock()
	return shapeOfLocked(t)
}

func shapeOfLocked(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := shapes[t]; ok {
		return s
	}
	s := &shape{}
	shapes[t] = s
	switch t {
	case typeQuantity:
		s.kind = kindQuantity
		return s
	case typeIntOrString:
		s.kind = kindIntOrString
		return s
	case typeTime, typeMicroTime:
		s.kind = kindTime
		return s
	case typeRaw:
		s.kind = kindAny
		return s
	case typeDuration:
		s.kind = kindString
		return s
	}
	switch t.Kind() {
	case reflect.Struct:
		s.kind = kindObject
		s.byName = map[string]*field{}
		addFields(s, t)
		sort.Slice(s.fields, func(i, j int) bool { return s.fields[i].name < s.fields[j].name })
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s.kind = kindString // []byte is base64 in JSON
			return s
		}
		s.kind = kindList
		s.elem = shapeOfLocked(t.Elem())
	case reflect.Map:
		s.kind = kindMap
		s.elem = shapeOfLocked(t.Elem())
	case reflect.String:
		s.kind = kindString
	case reflect.Bool:
		s.kind = kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s.kind = kindInt
	case reflect.Float32, reflect.Float64:
		s.kind = kindFloat
	default:
		s.kind = kindAny
	}
	return s
}

// addFields adds t's JSON fields to s, flattening inline and embedded structs.
func addFields(s *shape, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" && (sf.Anonymous || strings.Contains(opts, "inline")) {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(s, ft)
				continue
			}
		}
		if name == "" {
			name = sf.Name
		}
		f := &field{name: name, typ: shapeOfLocked(sf.Type),
			patchStrategy: sf.Tag.Get("patchStrategy"), mergeKey: sf.Tag.Get("patchMergeKey")}
		s.fields = append(s.fields, f)
		s.byName[name] = f
	}
}

// at returns the shape of the value under key in an object or map shape,
// or the element shape of a list; nil when unknown.
func (s *shape) at(key string) *shape {
	if s == nil {
		return nil
	}
	switch s.kind {
	case kindObject:
		if f, ok := s.byName[key]; ok {
			return f.typ
		}
	case kindMap, kindList:
		return s.elem
	}
	return nil
}

// fieldNamed returns the field of an object shape, or nil.
func (s *shape) fieldNamed(name string) *field {
	if s == nil || s.kind != kindObject {
		return nil
	}
	return s.byName[name]
}
