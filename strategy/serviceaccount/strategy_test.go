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

package serviceaccount

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestServiceAccountStrategy(t *testing.T) {
	ctx := context.Background()
	s := NewStrategy(scheme.Scheme)
	sa := &corev1.ServiceAccount{Secrets: []corev1.ObjectReference{{Name: "tok", Namespace: "ns", Kind: "Secret", UID: "u"}}}
	s.PrepareForCreate(ctx, sa)
	if !apiequality.Semantic.DeepEqual(sa.Secrets, []corev1.ObjectReference{{Name: "tok"}}) {
		t.Errorf("secret refs: %+v", sa.Secrets)
	}
	annotated := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{EnforceMountableSecretsAnnotation: "true"}}}
	w := s.WarningsOnCreate(ctx, annotated)
	if len(w) != 1 || w[0] != "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets" {
		t.Errorf("warning: %q", w)
	}
	if w := s.WarningsOnUpdate(ctx, annotated, annotated.DeepCopy()); len(w) != 0 {
		t.Errorf("no warning when the old object already had it: %q", w)
	}
	if !s.NamespaceScoped() || s.AllowCreateOnUpdate(ctx) || !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("serviceaccount flags")
	}
}
