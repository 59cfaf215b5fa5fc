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

package apiserver

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
)

// Every server of the process serves the same resources, so they share one
// managed-fields type converter, and server-side apply works on each.
func TestServersShareTheTypeConverter(t *testing.T) {
	for i := range 2 {
		e := &Environment{}
		cfg, err := e.Start()
		if err != nil {
			t.Fatal(err)
		}
		c := kubernetes.NewForConfigOrDie(cfg)
		cm, err := c.CoreV1().ConfigMaps(metav1.NamespaceDefault).Apply(context.Background(),
			corev1apply.ConfigMap("applied", metav1.NamespaceDefault).WithData(map[string]string{"k": "v"}),
			metav1.ApplyOptions{FieldManager: "test"})
		if err != nil {
			t.Fatalf("server %d: apply: %v", i, err)
		}
		if len(cm.ManagedFields) != 1 || cm.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
			t.Errorf("server %d: managed fields %v, want one Apply entry", i, cm.ManagedFields)
		}
		// A strategic merge patch needs the type's structure too.
		p, err := c.CoreV1().Namespaces().Patch(context.Background(), metav1.NamespaceDefault, "application/strategic-merge-patch+json",
			[]byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{})
		if err != nil || p.Labels["a"] != "b" {
			t.Errorf("server %d: patch: %v, labels %v", i, err, p.GetLabels())
		}
		if err := e.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	typeConverters.Lock()
	n := len(typeConverters.byTypes)
	typeConverters.Unlock()
	if n != 1 {
		t.Errorf("%d type converters built, want 1", n)
	}
}
