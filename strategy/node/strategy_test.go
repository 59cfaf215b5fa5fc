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

package node

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Field selection on nodes as kube-apiserver v1.37.2 has it (confirmed on
// envtest: spec.unschedulable=false lists, spec.bogus is a 400 with this
// text).
func TestSelection(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"role": "x"}}, Spec: corev1.NodeSpec{Unschedulable: true}}
	ls, fs, err := GetAttrs(n)
	if err != nil || ls["role"] != "x" || fs["metadata.name"] != "n1" || fs["spec.unschedulable"] != "true" {
		t.Errorf("GetAttrs: %v %v %v", ls, fs, err)
	}
	if _, ok := fs["metadata.namespace"]; ok {
		t.Errorf("nodes are cluster-scoped: %v", fs)
	}
	for _, l := range []string{"metadata.name", "spec.unschedulable"} {
		if gl, gv, err := FieldLabelConversion(l, "v"); err != nil || gl != l || gv != "v" {
			t.Errorf("%s: %q %q %v", l, gl, gv, err)
		}
	}
	for _, l := range []string{"spec.bogus", "metadata.namespace"} {
		if _, _, err := FieldLabelConversion(l, "v"); err == nil || err.Error() != "field label not supported: "+l {
			t.Errorf("%s: %v", l, err)
		}
	}
}
