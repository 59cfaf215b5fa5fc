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

package conformance

import (
	"context"
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Namespace deletion (pkg/registry/core/namespace/storage, REST.Delete),
// NamespaceLifecycle admission and deletion with a propagation policy: the
// answers a tool sees when it deletes and creates around namespaces.
var _ = Describe("namespace lifecycle", func() {
	// holdNamespace creates a namespace that stays Terminating once deleted
	// on every target: spec.finalizers carries a finalizer of its own that
	// no namespace controller removes (kind's removes only "kubernetes").
	// It is finalized away when the scenario ends.
	holdNamespace := func(f *F) string {
		name := f.NS + "-hold"
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces", ContentType: ctJSON,
			Body: map[string]any{"metadata": map[string]any{"name": name}, "spec": map[string]any{"finalizers": []string{"example.com/hold"}}}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		DeferCleanup(func(ctx context.Context) {
			_, _ = f.Client.CoreV1().Namespaces().Finalize(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.UpdateOptions{})
		})
		return name
	}
	namespaceOf := func(r *Result) *corev1.Namespace {
		ns := &corev1.Namespace{}
		Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		Expect(json.Unmarshal(r.Body, ns)).To(Succeed())
		return ns
	}

	API("namespace/a second DELETE of a terminating namespace answers it unchanged", func(f *F) {
		name := holdNamespace(f)
		first := namespaceOf(f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + name}))
		Expect(first.Status.Phase).To(Equal(corev1.NamespaceTerminating))
		Expect(first.DeletionTimestamp).NotTo(BeNil())
		second := namespaceOf(f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + name}))
		Expect(second.ResourceVersion).To(Equal(first.ResourceVersion))
		Expect(second.Status.Phase).To(Equal(corev1.NamespaceTerminating))
	})

	API("namespace/creating in a terminating namespace is forbidden", func(f *F) {
		name := holdNamespace(f)
		namespaceOf(f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + name}))
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + name + "/serviceaccounts", ContentType: ctJSON,
			Body: map[string]any{"metadata": map[string]any{"name": "sa"}}})
		r.ExpectStatus(http.StatusForbidden, metav1.StatusReasonForbidden,
			`serviceaccounts "sa" is forbidden: unable to create new content in namespace `+name+` because it is being terminated`)
		Expect(r.Status.Details.Causes).To(Equal([]metav1.StatusCause{{
			Type: corev1.NamespaceTerminatingCause, Message: "namespace " + name + " is being terminated", Field: "metadata.namespace"}}))
	})

	API("namespace/creating in a missing namespace is a 404 for the namespace", func(f *F) {
		name := f.NS + "-missing"
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + name + "/pods", ContentType: ctJSON, Body: basePod("p")})
		r.ExpectStatus(http.StatusNotFound, metav1.StatusReasonNotFound, `namespaces "`+name+`" not found`)
		r.ExpectDetails(name, "namespaces")
	})

	API("namespace/DELETE with propagationPolicy Foreground leaves the foregroundDeletion finalizer", func(f *F) {
		name := holdNamespace(f)
		ns := namespaceOf(f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + name, ContentType: ctJSON,
			Body: map[string]any{"propagationPolicy": "Foreground"}}))
		Expect(ns.Finalizers).To(Equal([]string{metav1.FinalizerDeleteDependents}))
		Expect(ns.Status.Phase).To(Equal(corev1.NamespaceTerminating))
	})

	API("gc/a pod DELETE with propagationPolicy Foreground answers the pod with the foregroundDeletion finalizer", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodDelete, Path: f.podPath(podName), ContentType: ctJSON,
			Body: map[string]any{"propagationPolicy": "Foreground"}})
		p := r.OK()
		Expect(p.Finalizers).To(Equal([]string{metav1.FinalizerDeleteDependents}))
		Expect(p.DeletionTimestamp).NotTo(BeNil())
	})

	API("nodes/field selectors metadata.name and spec.unschedulable", func(f *F) {
		for _, sel := range []string{"metadata.name%3Dnone", "spec.unschedulable%3Dtrue"} {
			r := f.Do(Req{Method: http.MethodGet, Path: "/api/v1/nodes?fieldSelector=" + sel})
			Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		}
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/nodes?fieldSelector=spec.bogus%3Dx"}).
			ExpectStatus(http.StatusBadRequest, metav1.StatusReasonBadRequest, "field label not supported: spec.bogus")
	})
})
