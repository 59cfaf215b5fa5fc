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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Expected messages were captured from a real kube-apiserver v1.37.2
// (envtest) by POSTing the same objects.
func TestMetaObjectsAgainstServer(t *testing.T) {
	evTime := metav1.NewMicroTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name, kind, objName string
		errs                field.ErrorList
		want                string
	}{
		{"namespace name is a DNS label", "Namespace", "Bad_NS",
			ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "Bad_NS"}}),
			`Namespace "Bad_NS" is invalid: metadata.name: Invalid value: "Bad_NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"namespace name has no dots", "Namespace", "a.b",
			ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}}),
			`Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots`},
		{"namespace finalizers", "Namespace", "ok-ns",
			ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ok-ns", Finalizers: []string{"x"}}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"bad"}}}),
			`Namespace "ok-ns" is invalid: [metadata.finalizers[0]: Invalid value: "x": name is neither a standard finalizer name nor is it fully qualified, spec.finalizers: Invalid value: "bad": name is neither a standard finalizer name nor is it fully qualified]`},
		{"serviceaccount name is a DNS subdomain", "ServiceAccount", "Bad_SA",
			ValidateServiceAccount(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "Bad_SA", Namespace: "default"}}),
			`ServiceAccount "Bad_SA" is invalid: metadata.name: Invalid value: "Bad_SA": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"serviceaccount dotted name ok", "ServiceAccount", "a.b",
			ValidateServiceAccount(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "a.b", Namespace: "default"}}), ""},
		{"legacy event namespace mismatch, name not validated", "Event", "Bad_EV",
			ValidateEvent(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "Bad_EV", Namespace: "default"}, InvolvedObject: corev1.ObjectReference{Namespace: "other"}}),
			`Event "Bad_EV" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace`},
		{"new-style event needs reporting fields", "Event", "ev2",
			ValidateEvent(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "ev2", Namespace: "default"}, EventTime: evTime}),
			`Event "ev2" is invalid: [reportingComponent: Required value, reportingComponent: Invalid value: "": name part must be non-empty, reportingComponent: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), reportingInstance: Required value, action: Required value, reason: Required value]`},
		{"new-style event bad controller", "Event", "ev3",
			ValidateEvent(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "ev3", Namespace: "kube-system"}, EventTime: evTime, ReportingController: "Bad Ctl", ReportingInstance: "i", Action: "a", Reason: "r", InvolvedObject: corev1.ObjectReference{Namespace: "x"}}),
			`Event "ev3" is invalid: reportingComponent: Invalid value: "Bad Ctl": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				if len(tc.errs) != 0 {
					t.Fatalf("expected no errors, got %v", tc.errs)
				}
				return
			}
			got := apierrors.NewInvalid(schema.GroupKind{Kind: tc.kind}, tc.objName, tc.errs).Error()
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestMetaUpdates(t *testing.T) {
	old := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sa", Namespace: "default", ResourceVersion: "1", UID: "u1"}}
	n := old.DeepCopy()
	n.UID = "u2"
	got := ValidateServiceAccountUpdate(n, old).ToAggregate().Error()
	if want := `metadata.uid: Invalid value: "u2": field is immutable`; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", ResourceVersion: "1"}}
	ns2 := ns.DeepCopy()
	ns2.Name = "other"
	if errs := ValidateNamespaceUpdate(ns2, ns); len(errs) != 1 || errs[0].Field != "metadata.name" || errs[0].Detail != "field is immutable" {
		t.Errorf("unexpected %v", errs)
	}
}
