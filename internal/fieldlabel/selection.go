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

package fieldlabel

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"
)

// Object is what selection works on: a stored API object of one Go type.
type Object interface {
	runtime.Object
	metav1.Object
}

// Selection returns the pair every upstream strategy package defines for
// its resource (e.g. GetAttrs and MatchPod in
// pkg/registry/core/pod/strategy.go): the attribute function selectors
// match against (the object's labels and the fields toFields selects) and
// the selection predicate built on it. An object of another type gets
// upstream's error, "not " + what (e.g. what = "a pod"). indexFields are the
// predicate's IndexFields (e.g. spec.nodeName for pods).
func Selection[T Object](what string, toFields func(T) fields.Set, indexFields ...string) (storage.AttrFunc, func(labels.Selector, fields.Selector) storage.SelectionPredicate) {
	getAttrs := func(obj runtime.Object) (labels.Set, fields.Set, error) {
		o, ok := obj.(T)
		if !ok {
			return nil, nil, fmt.Errorf("not %s", what)
		}
		return labels.Set(o.GetLabels()), toFields(o), nil
	}
	match := func(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
		return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: getAttrs, IndexFields: indexFields}
	}
	return getAttrs, match
}
