package strategy

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
)

func TestNamespaceStrategy(t *testing.T) {
	ctx := context.Background()
	s := NewNamespaceStrategy(testScheme(t))
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

	st := NewNamespaceStatusStrategy(testScheme(t))
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

	fin := NewNamespaceFinalizeStrategy(testScheme(t))
	fupd := ns.DeepCopy()
	fupd.Spec.Finalizers = nil
	fupd.Status.Phase = corev1.NamespaceTerminating
	fin.PrepareForUpdate(ctx, fupd, old)
	if len(fupd.Spec.Finalizers) != 0 || fupd.Status.Phase != corev1.NamespaceActive {
		t.Errorf("finalize update: %+v", fupd)
	}

	del := ns.DeepCopy()
	now := metav1.Now()
	if !MarkNamespaceTerminating(del, now) || del.DeletionTimestamp == nil || del.Status.Phase != corev1.NamespaceTerminating {
		t.Errorf("MarkNamespaceTerminating: %+v", del)
	}
	if MarkNamespaceTerminating(del, metav1.Now()) || !del.DeletionTimestamp.Equal(&now) {
		t.Errorf("second call must be a no-op")
	}
	if s.NamespaceScoped() || s.AllowCreateOnUpdate(ctx) || !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("namespace flags")
	}
}

func TestServiceAccountStrategy(t *testing.T) {
	ctx := context.Background()
	s := NewServiceAccountStrategy(testScheme(t))
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

func TestEventStrategy(t *testing.T) {
	ctx := context.Background()
	s := NewEventStrategy(testScheme(t))
	if !s.NamespaceScoped() || !s.AllowCreateOnUpdate(ctx) || !s.AllowUnconditionalUpdate(ctx) || s.DefaultGarbageCollectionPolicy(ctx) != rest.Unsupported {
		t.Errorf("event flags")
	}
	if EventTTLSeconds != 3600 {
		t.Errorf("event TTL %d", EventTTLSeconds)
	}
}
