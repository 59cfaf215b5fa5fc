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

package pod

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

func TestPodSelection(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "x"}},
		Spec:       corev1.PodSpec{NodeName: "n1", RestartPolicy: corev1.RestartPolicyNever, SchedulerName: "s", ServiceAccountName: "sa", HostNetwork: true},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "1.1.1.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}, NominatedNodeName: "n2"},
	}
	want := fields.Set{
		"metadata.name": "p", "metadata.namespace": "ns", "spec.nodeName": "n1", "spec.restartPolicy": "Never",
		"spec.schedulerName": "s", "spec.serviceAccountName": "sa", "spec.hostNetwork": "true", "status.phase": "Running",
		"status.podIP": "10.0.0.1", "status.nominatedNodeName": "n2",
	}
	got := ToSelectableFields(pod)
	if len(got) != len(want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	pred := Match(labels.SelectorFromSet(labels.Set{"app": "x"}), fields.OneTermEqualSelector("spec.nodeName", "n1"))
	if ok, err := pred.Matches(pod); !ok || err != nil {
		t.Errorf("predicate should match: %v %v", ok, err)
	}
	pred = Match(labels.Everything(), fields.OneTermEqualSelector("status.phase", "Pending"))
	if ok, _ := pred.Matches(pod); ok {
		t.Errorf("predicate must not match another phase")
	}
	if _, _, err := GetAttrs(&corev1.Namespace{}); err == nil || err.Error() != "not a pod" {
		t.Errorf("GetAttrs on a namespace: %v", err)
	}
}

func TestFieldLabelConversion(t *testing.T) {
	for _, l := range []string{"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
		"spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"} {
		if gl, gv, err := FieldLabelConversion(l, "v"); err != nil || gl != l || gv != "v" {
			t.Errorf("%s: %q %q %v", l, gl, gv, err)
		}
	}
	if _, _, err := FieldLabelConversion("spec.bogus", "v"); err == nil || err.Error() != "field label not supported: spec.bogus" {
		t.Errorf("spec.bogus: %v", err)
	}
	if l, v, err := FieldLabelConversion("spec.host", "n1"); err != nil || l != "spec.nodeName" || v != "n1" {
		t.Errorf("spec.host: %q %q %v", l, v, err)
	}
}
