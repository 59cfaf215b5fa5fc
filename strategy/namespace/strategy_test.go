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

package namespace

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestNamespaceStrategy(t *testing.T) {
	ctx := context.Background()
	s := NewStrategy(scheme.Scheme)
	var _ rest.RESTCreateStrategy = s
	var _ rest.RESTUpdateStrategy = s

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "1"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	s.PrepareForCreate(ctx, ns)
	if ns.Status.Phase != corev1.NamespaceActive || !apiequality.Semantic.DeepEqual(ns.Spec.Finalizers, []corev1.FinalizerName{corev1.FinalizerKubernetes}) {
		t.Errorf("create: %+v", ns)
	}
	withUser := &corev1.Namespace{Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"x.io/y"}}}
	s.PrepareForCreate(ctx, withUser)
	if !apiequality.Semantic.DeepEqual(withUser.Spec.Finalizers, []corev1.FinalizerName{"x.io/y", corev1.FinalizerKubernetes}) {
		t.Errorf("user finalizers: %v", withUser.Spec.Finalizers)
	}
	already := &corev1.Namespace{Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes, "x.io/y"}}}
	s.PrepareForCreate(ctx, already)
	if len(already.Spec.Finalizers) != 2 {
		t.Errorf("kubernetes finalizer duplicated: %v", already.Spec.Finalizers)
	}

	gen := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gen-x1"}}
	s.Canonicalize(gen)
	if gen.Labels[corev1.LabelMetadataName] != "gen-x1" {
		t.Errorf("canonicalize label: %v", gen.Labels)
	}

	old := ns.DeepCopy()
	upd := ns.DeepCopy()
	upd.Spec.Finalizers = nil
	upd.Status.Phase = corev1.NamespaceTerminating
	s.PrepareForUpdate(ctx, upd, old)
	if len(upd.Spec.Finalizers) != 1 || upd.Status.Phase != corev1.NamespaceActive {
		t.Errorf("update must keep finalizers and status: %+v", upd)
	}

	st := NewStatusStrategy(scheme.Scheme)
	supd := ns.DeepCopy()
	supd.Spec.Finalizers = nil
	supd.Status.Phase = corev1.NamespaceTerminating
	st.PrepareForUpdate(ctx, supd, old)
	if len(supd.Spec.Finalizers) != 1 {
		t.Errorf("status update must keep spec")
	}
	errs := st.ValidateUpdate(ctx, supd, old)
	if len(errs) != 1 || errs[0].Error() != "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty" {
		t.Errorf("status validation: %v", errs)
	}

	fin := NewFinalizeStrategy(scheme.Scheme)
	fupd := ns.DeepCopy()
	fupd.Spec.Finalizers = nil
	fupd.Status.Phase = corev1.NamespaceTerminating
	fin.PrepareForUpdate(ctx, fupd, old)
	if len(fupd.Spec.Finalizers) != 0 || fupd.Status.Phase != corev1.NamespaceActive {
		t.Errorf("finalize update: %+v", fupd)
	}

	del := ns.DeepCopy()
	now := metav1.Now()
	background := metav1.DeletePropagationBackground
	if !MarkTerminating(del, now, &metav1.DeleteOptions{PropagationPolicy: &background}) || del.DeletionTimestamp == nil || del.Status.Phase != corev1.NamespaceTerminating || len(del.Finalizers) != 0 {
		t.Errorf("MarkTerminating: %+v", del)
	}
	if MarkTerminating(del, metav1.Now(), &metav1.DeleteOptions{}) || !del.DeletionTimestamp.Equal(&now) {
		t.Errorf("second call must be a no-op")
	}
	if s.NamespaceScoped() || s.AllowCreateOnUpdate(ctx) || !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("namespace flags")
	}
}

func TestSelection(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	nf := ToSelectableFields(ns)
	if nf["metadata.name"] != "a" || nf["name"] != "a" || nf["status.phase"] != "Terminating" {
		t.Errorf("namespace fields %v", nf)
	}
	if _, ok := nf["metadata.namespace"]; ok {
		t.Errorf("cluster-scoped namespaces have no metadata.namespace field: %v", nf)
	}
	for _, l := range []string{"metadata.name", "status.phase"} {
		if gl, gv, err := FieldLabelConversion(l, "v"); err != nil || gl != l || gv != "v" {
			t.Errorf("%s: %q %q %v", l, gl, gv, err)
		}
	}
	if _, _, err := FieldLabelConversion("spec.bogus", "v"); err == nil || err.Error() != "field label not supported: spec.bogus" {
		t.Errorf("spec.bogus: %v", err)
	}
}

// The garbage collector's finalizers a namespace delete adds, as REST.Delete
// decides them (shouldHaveOrphanFinalizer, shouldHaveDeleteDependentsFinalizer);
// confirmed on kube-apiserver v1.37.2: propagationPolicy=Foreground gives
// metadata.finalizers ["foregroundDeletion"], Orphan gives ["orphan"].
func TestMarkTerminatingFinalizers(t *testing.T) {
	orphan, foreground := metav1.DeletePropagationOrphan, metav1.DeletePropagationForeground
	yes, no := true, false
	for _, tc := range []struct {
		name     string
		existing []string
		options  metav1.DeleteOptions
		want     []string
	}{
		{"no options keep none", nil, metav1.DeleteOptions{}, nil},
		{"no options keep what is there", []string{"example.com/x", "orphan"}, metav1.DeleteOptions{}, []string{"example.com/x", "orphan"}},
		{"foreground", nil, metav1.DeleteOptions{PropagationPolicy: &foreground}, []string{"foregroundDeletion"}},
		{"orphan", []string{"example.com/x"}, metav1.DeleteOptions{PropagationPolicy: &orphan}, []string{"example.com/x", "orphan"}},
		{"foreground replaces orphan", []string{"orphan", "example.com/x"}, metav1.DeleteOptions{PropagationPolicy: &foreground}, []string{"example.com/x", "foregroundDeletion"}},
		//lint:ignore SA1019 the deprecated field is still honoured, first
		{"orphanDependents=true wins over propagationPolicy", nil, metav1.DeleteOptions{OrphanDependents: &yes, PropagationPolicy: &foreground}, []string{"orphan"}},
		//lint:ignore SA1019 the deprecated field is still honoured, first
		{"orphanDependents=false means foreground", nil, metav1.DeleteOptions{OrphanDependents: &no}, []string{"foregroundDeletion"}},
	} {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Finalizers: tc.existing}}
		MarkTerminating(ns, metav1.Now(), &tc.options)
		if !apiequality.Semantic.DeepEqual(ns.Finalizers, tc.want) {
			t.Errorf("%s: finalizers %q, want %q", tc.name, ns.Finalizers, tc.want)
		}
	}
}
