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

package event

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestEventStrategy(t *testing.T) {
	ctx := context.Background()
	s := NewStrategy(scheme.Scheme)
	if !s.NamespaceScoped() || !s.AllowCreateOnUpdate(ctx) || !s.AllowUnconditionalUpdate(ctx) || s.DefaultGarbageCollectionPolicy(ctx) != rest.Unsupported {
		t.Errorf("event flags")
	}
	if TTLSeconds != 3600 {
		t.Errorf("event TTL %d", TTLSeconds)
	}
}

func TestSelection(t *testing.T) {
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "ns"}, Reason: "R", Type: "Normal",
		ReportingController: "ctrl", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p", UID: "u"}}
	ef := ToSelectableFields(ev)
	if ef["source"] != "ctrl" || ef["reportingComponent"] != "ctrl" || ef["involvedObject.uid"] != "u" || ef["metadata.namespace"] != "ns" || ef["reason"] != "R" {
		t.Errorf("event fields %v", ef)
	}
	ev.Source.Component = "kubelet"
	if ToSelectableFields(ev)["source"] != "kubelet" {
		t.Errorf("source must prefer source.component")
	}
	for _, l := range []string{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
		"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
		"reportingComponent", "source", "type", "metadata.namespace", "metadata.name"} {
		if gl, gv, err := FieldLabelConversion(l, "v"); err != nil || gl != l || gv != "v" {
			t.Errorf("%s: %q %q %v", l, gl, gv, err)
		}
	}
	if _, _, err := FieldLabelConversion("spec.bogus", "v"); err == nil || err.Error() != "field label not supported: spec.bogus" {
		t.Errorf("spec.bogus: %v", err)
	}
}
