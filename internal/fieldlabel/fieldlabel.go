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

// Package fieldlabel builds the field-label conversion functions a scheme
// uses to accept or refuse field selectors, as the conversions registered in
// pkg/apis/core/v1/conversion.go do.
package fieldlabel

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Conversion accepts exactly the given labels, unchanged, and refuses any
// other with upstream's error text.
func Conversion(accepted ...string) runtime.FieldLabelConversionFunc {
	ok := sets.New(accepted...)
	return func(label, value string) (string, string, error) {
		if ok.Has(label) {
			return label, value, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}
