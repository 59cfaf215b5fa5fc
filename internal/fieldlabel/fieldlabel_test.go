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
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

func TestConversion(t *testing.T) {
	conv := Conversion("metadata.name", "status.phase")
	if l, v, err := conv("status.phase", "Running"); err != nil || l != "status.phase" || v != "Running" {
		t.Errorf("accepted label: got %q %q %v", l, v, err)
	}
	// The text of pkg/apis/core/v1/conversion.go, which clients see in the
	// 400 of a list with an unsupported field selector.
	if _, _, err := conv("spec.nodeName", "x"); err == nil || err.Error() != "field label not supported: spec.nodeName" {
		t.Errorf("refused label: got %v", err)
	}
}

func TestSelection(t *testing.T) {
	toFields := func(p *corev1.Pod) fields.Set {
		return fields.Set{"metadata.name": p.Name, "spec.nodeName": p.Spec.NodeName}
	}
	getAttrs, match := Selection("a pod", toFields, "spec.nodeName")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}}, Spec: corev1.PodSpec{NodeName: "n1"}}

	ls, fs, err := getAttrs(pod)
	if err != nil || ls["app"] != "web" || fs["spec.nodeName"] != "n1" || fs["metadata.name"] != "web" {
		t.Errorf("getAttrs: %v %v %v", ls, fs, err)
	}
	if _, _, err := getAttrs(&corev1.Node{}); err == nil || err.Error() != "not a pod" {
		t.Errorf("another type: got %v, want \"not a pod\"", err)
	}

	p := match(labels.SelectorFromSet(labels.Set{"app": "web"}), fields.OneTermEqualSelector("spec.nodeName", "n1"))
	if ok, err := p.Matches(pod); !ok || err != nil {
		t.Errorf("predicate should match: %v %v", ok, err)
	}
	p = match(labels.Everything(), fields.OneTermEqualSelector("spec.nodeName", "n2"))
	if ok, _ := p.Matches(pod); ok {
		t.Errorf("predicate should not match another node")
	}
	if len(p.IndexFields) != 1 || p.IndexFields[0] != "spec.nodeName" {
		t.Errorf("IndexFields = %v", p.IndexFields)
	}
	if _, m := Selection("a pod", toFields); len(m(labels.Everything(), fields.Everything()).IndexFields) != 0 {
		t.Errorf("no index fields unless given")
	}
}
