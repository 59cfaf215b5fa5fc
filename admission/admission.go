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

// Package admission holds the admission chain Ephemera runs: the plugins
// envtest's kube-apiserver runs that change or refuse what a pod test sees.
// envtest (controller-runtime v0.25) keeps kube-apiserver's default plugin set
// minus ServiceAccount; of those, NamespaceLifecycle, DefaultTolerationSeconds,
// Priority, RuntimeClass and PodSecurity act on the objects Ephemera serves (LimitRanger and
// ResourceQuota are no-ops without LimitRanges or quotas, which Ephemera does
// not serve; the others act on other resources), and each of them cites the
// upstream plugin whose observable behaviour it reproduces. The webhook and
// admission-policy plugins are k8s.io/apiserver's own, wired as
// kube-apiserver wires them (extensions.go), and Assemble orders everything
// as kube-apiserver does.
package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/utils/ptr"
)

// NamespaceGetter reads a namespace from storage.
type NamespaceGetter func(ctx context.Context, name string) (*corev1.Namespace, error)

// NewPlugins returns Ephemera's own admission plugins by their
// kube-apiserver names: the mutating NamespaceLifecycle,
// DefaultTolerationSeconds and Priority, the validating PodSecurity, and
// RuntimeClass, which both mutates and validates. The
// chain that orders them among k8s.io/apiserver's webhook and policy plugins
// is assembled by Assemble.
func NewPlugins(getNamespace NamespaceGetter, listPods PodLister) (map[string]admission.Interface, error) {
	ps, err := newPodSecurity(getNamespace, listPods)
	if err != nil {
		return nil, err
	}
	return map[string]admission.Interface{
		"NamespaceLifecycle":       &namespaceLifecycle{getNamespace: getNamespace, immortal: immortalNamespaces},
		"DefaultTolerationSeconds": defaultTolerationSeconds{},
		"Priority":                 priority{},
		"PodSecurity":              ps,
		"RuntimeClass":             runtimeClass{},
	}, nil
}

// immortalNamespaces are the namespaces kube-apiserver registers
// NamespaceLifecycle with (lifecycle.Register): they cannot be deleted.
var immortalNamespaces = sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic)

var (
	podResource   = corev1.Resource("pods")
	namespaceKind = corev1.SchemeGroupVersion.WithKind("Namespace").GroupKind()
)

// namespaceLifecycle mirrors k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle:
// the immortal namespaces cannot be deleted, and nothing can be created in a
// namespace that does not exist or is terminating. Ephemera reads namespaces
// from storage directly, so the upstream informer-cache waits do not apply.
type namespaceLifecycle struct {
	getNamespace NamespaceGetter
	immortal     sets.Set[string]
}

var _ admission.MutationInterface = &namespaceLifecycle{}

func (l *namespaceLifecycle) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Delete
}

func (l *namespaceLifecycle) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetKind().GroupKind() == namespaceKind {
		if a.GetOperation() == admission.Delete && l.immortal.Has(a.GetName()) {
			return apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(), fmt.Errorf("this namespace may not be deleted"))
		}
		return nil
	}
	if a.GetNamespace() == "" || a.GetOperation() != admission.Create {
		return nil
	}
	ns, err := l.getNamespace(ctx, a.GetNamespace())
	if err != nil {
		// Upstream names the namespace, whatever the getter's error says
		// (the store's Get names the resource of the request: pods "x").
		if apierrors.IsNotFound(err) {
			return apierrors.NewNotFound(corev1.Resource("namespaces"), a.GetNamespace())
		}
		return apierrors.NewInternalError(err)
	}
	if ns.Status.Phase != corev1.NamespaceTerminating {
		return nil
	}
	forbidden := admission.NewForbidden(a, fmt.Errorf("unable to create new content in namespace %s because it is being terminated", a.GetNamespace()))
	if se, ok := forbidden.(*apierrors.StatusError); ok {
		se.ErrStatus.Details.Causes = append(se.ErrStatus.Details.Causes, metav1.StatusCause{
			Type:    corev1.NamespaceTerminatingCause,
			Message: fmt.Sprintf("namespace %s is being terminated", a.GetNamespace()),
			Field:   "metadata.namespace",
		})
	}
	return forbidden
}

// defaultTolerationSeconds mirrors
// k8s.io/kubernetes/plugin/pkg/admission/defaulttolerationseconds: pods (not
// their subresources) that do not tolerate the not-ready and unreachable
// NoExecute taints get a 300 s toleration for each.
type defaultTolerationSeconds struct{}

var _ admission.MutationInterface = defaultTolerationSeconds{}

func (defaultTolerationSeconds) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

func (defaultTolerationSeconds) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != podResource || a.GetSubresource() != "" {
		return nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("expected *api.Pod but got %T", a.GetObject()))
	}
	tolerates := func(key string) bool {
		for _, t := range pod.Spec.Tolerations {
			if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
				return true
			}
		}
		return false
	}
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !tolerates(key) {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
				Key:               key,
				Operator:          corev1.TolerationOpExists,
				Effect:            corev1.TaintEffectNoExecute,
				TolerationSeconds: ptr.To[int64](300),
			})
		}
	}
	return nil
}

// systemPriorityClasses are the PriorityClasses kube-apiserver creates at
// start (k8s.io/kubernetes/pkg/apis/scheduling: SystemPriorityClasses).
// Ephemera serves no priorityclasses resource, so these are the only ones.
var systemPriorityClasses = map[string]int32{
	"system-node-critical":    2000001000,
	"system-cluster-critical": 2000000000,
}

// priority mirrors k8s.io/kubernetes/plugin/pkg/admission/priority for pods:
// on create it resolves spec.priorityClassName (no global default class
// exists, so an empty name gives priority 0) and sets spec.priority and
// spec.preemptionPolicy; on update it carries them over when left out.
type priority struct{}

var _ admission.MutationInterface = priority{}

func (priority) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

func (priority) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != podResource || a.GetSubresource() != "" {
		return nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return apierrors.NewBadRequest("resource was marked with kind Pod but was unable to be converted")
	}
	if a.GetOperation() == admission.Update {
		old, ok := a.GetOldObject().(*corev1.Pod)
		if !ok {
			return apierrors.NewBadRequest("resource was marked with kind Pod but was unable to be converted")
		}
		if pod.Spec.Priority == nil {
			pod.Spec.Priority = old.Spec.Priority
		}
		if pod.Spec.PreemptionPolicy == nil {
			pod.Spec.PreemptionPolicy = old.Spec.PreemptionPolicy
		}
		return nil
	}

	var value int32 // DefaultPriorityWhenNoDefaultClassExists
	if name := pod.Spec.PriorityClassName; name != "" {
		v, found := systemPriorityClasses[name]
		if !found {
			return admission.NewForbidden(a, fmt.Errorf("no PriorityClass with name %v was found", name))
		}
		value = v
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != value {
		return admission.NewForbidden(a, fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, value))
	}
	pod.Spec.Priority = ptr.To(value)
	// Every class Ephemera knows preempts lower priorities, the default policy.
	policy := corev1.PreemptLowerPriority
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != policy {
		return admission.NewForbidden(a, fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, policy))
	}
	pod.Spec.PreemptionPolicy = &policy
	return nil
}
