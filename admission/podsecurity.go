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

package admission

import (
	"context"
	"errors"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/warning"
	psadmission "k8s.io/pod-security-admission/admission"
	psaconfig "k8s.io/pod-security-admission/admission/api/load"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/metrics"
	"k8s.io/pod-security-admission/policy"
)

// PodLister lists the pods of a namespace from storage.
type PodLister func(ctx context.Context, namespace string) ([]*corev1.Pod, error)

// podSecurity is kube-apiserver's PodSecurity plugin
// (k8s.io/kubernetes/plugin/pkg/admission/security/podsecurity): the
// k8s.io/pod-security-admission library with its default configuration
// (every level "privileged" until a namespace is labelled), wrapped as an
// admission.ValidationInterface the same way: warnings become Warning
// headers, a denial becomes the library's Forbidden status. It acts on pods,
// their ephemeralcontainers subresource and namespace label changes.
type podSecurity struct {
	delegate *psadmission.Admission
}

var _ admission.ValidationInterface = &podSecurity{}

func newPodSecurity(getNamespace NamespaceGetter, listPods PodLister) (*podSecurity, error) {
	cfg, err := psaconfig.LoadFromData(nil) // the defaults
	if err != nil {
		return nil, err
	}
	evaluator, err := sharedEvaluator()
	if err != nil {
		return nil, err
	}
	a := &psadmission.Admission{
		Configuration:    cfg,
		Evaluator:        evaluator,
		Metrics:          noMetrics{},
		PodSpecExtractor: psadmission.DefaultPodSpecExtractor{},
		NamespaceGetter:  namespaceGetterFunc(getNamespace),
		PodLister:        podListerFunc(listPods),
	}
	if err := a.CompleteConfiguration(); err != nil {
		return nil, err
	}
	if err := a.ValidateConfiguration(); err != nil {
		return nil, err
	}
	return &podSecurity{delegate: a}, nil
}

// sharedEvaluator is the library's check evaluator for kube-apiserver 1.37's
// policies ("latest" is 1.37), one per process: building it indexes every
// check by level and version, and it only reads that index (the plugin calls
// it from concurrent requests already).
var sharedEvaluator = sync.OnceValues(func() (policy.Evaluator, error) {
	emulation := psaapi.MajorMinorVersion(1, 37)
	return policy.NewEvaluator(policy.DefaultChecks(), &emulation)
})

func (p *podSecurity) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

func (p *podSecurity) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	gr := a.GetResource().GroupResource()
	if gr != podResource && gr != corev1.Resource("namespaces") {
		return nil
	}
	result := p.delegate.Validate(ctx, attributes{a})
	for _, w := range result.Warnings {
		warning.AddWarning(ctx, "", w)
	}
	// The decision goes to the audit log under the library's prefix
	// ("pod-security.kubernetes.io/enforce-policy": "privileged:latest"), as
	// kube-apiserver's plugin records it (plugin/pkg/admission/security/
	// podsecurity/admission.go, Validate).
	for k, v := range result.AuditAnnotations {
		audit.AddAuditAnnotation(ctx, psaapi.AuditAnnotationPrefix+k, v)
	}
	if result.Allowed {
		return nil
	}
	//lint:ignore ST1005 upstream's text (plugin/pkg/admission/security/podsecurity, Validate), which clients may see
	denied := admission.NewForbidden(a, errors.New("Not allowed by PodSecurity")).(*apierrors.StatusError)
	if r := result.Result; r != nil {
		if r.Message != "" {
			denied.ErrStatus.Message = r.Message
		}
		if r.Reason != "" {
			denied.ErrStatus.Reason = r.Reason
		}
		if r.Details != nil {
			denied.ErrStatus.Details = r.Details
		}
		if r.Code != 0 {
			denied.ErrStatus.Code = r.Code
		}
	}
	return denied
}

// attributes presents admission attributes to the library. Ephemera's
// objects are already v1, which is what the library wants.
type attributes struct{ admission.Attributes }

func (a attributes) GetOperation() admissionv1.Operation {
	return admissionv1.Operation(a.Attributes.GetOperation())
}
func (a attributes) GetObject() (runtime.Object, error)    { return a.Attributes.GetObject(), nil }
func (a attributes) GetOldObject() (runtime.Object, error) { return a.Attributes.GetOldObject(), nil }
func (a attributes) GetUserName() string {
	if u := a.Attributes.GetUserInfo(); u != nil {
		return u.GetName()
	}
	return ""
}

type namespaceGetterFunc NamespaceGetter

func (f namespaceGetterFunc) GetNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	return f(ctx, name)
}

type podListerFunc PodLister

func (f podListerFunc) ListPods(ctx context.Context, namespace string) ([]*corev1.Pod, error) {
	return f(ctx, namespace)
}

// noMetrics drops the plugin's metrics: Ephemera serves none.
type noMetrics struct{}

func (noMetrics) RecordEvaluation(metrics.Decision, psaapi.LevelVersion, metrics.Mode, psaapi.Attributes) {
}
func (noMetrics) RecordExemption(psaapi.Attributes)   {}
func (noMetrics) RecordError(bool, psaapi.Attributes) {}
