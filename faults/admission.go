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

package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	webhookerrors "k8s.io/apiserver/pkg/admission/plugin/webhook/errors"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
)

// Admission wraps the server's admission chain to inject Conflict faults
// where the registry finds a stale resourceVersion (before validating
// admission: mutating admission has run, validation has not) and
// AdmissionDenied faults where a validating admission policy or webhook
// denies (after the built-in plugins accepted the request). The request has
// been decoded and audited by then, and the error takes the handlers' own
// error path, so the response and the audit event are those of the real
// failure. Nothing is stored: validation precedes every write.
func (s *Set) Admission(inner admission.Interface) admission.Interface {
	return &admissionFaults{inner: inner, set: s}
}

type admissionFaults struct {
	inner admission.Interface
	set   *Set
}

var (
	_ admission.MutationInterface   = &admissionFaults{}
	_ admission.ValidationInterface = &admissionFaults{}
)

func (a *admissionFaults) Handles(admission.Operation) bool { return true }

func (a *admissionFaults) Admit(ctx context.Context, attrs admission.Attributes, o admission.ObjectInterfaces) error {
	if m, ok := a.inner.(admission.MutationInterface); ok && a.inner.Handles(attrs.GetOperation()) {
		return m.Admit(ctx, attrs, o)
	}
	return nil
}

func (a *admissionFaults) Validate(ctx context.Context, attrs admission.Attributes, o admission.ObjectInterfaces) error {
	req, known := requestFrom(ctx)
	if known {
		// The object's own name and namespace: a create's name is in the
		// body, not the path.
		req.name, req.namespace = attrs.GetName(), attrs.GetNamespace()
		if rule := a.set.fire(ctx, layerAdmissionBefore, req); rule != nil {
			gr := attrs.GetResource().GroupResource()
			return apierrors.NewConflict(gr, attrs.GetName(), errors.New(genericregistry.OptimisticLockErrorMsg))
		}
	}
	if v, ok := a.inner.(admission.ValidationInterface); ok && a.inner.Handles(attrs.GetOperation()) {
		if err := v.Validate(ctx, attrs, o); err != nil {
			return err
		}
	}
	if known {
		if rule := a.set.fire(ctx, layerAdmissionAfter, req); rule != nil {
			return denial(rule.AdmissionDenied, attrs)
		}
	}
	return nil
}

// denial is the error a validating admission policy or webhook denies with.
func denial(f *AdmissionDeniedFault, attrs admission.Attributes) error {
	if f.Webhook != "" {
		status := &metav1.Status{Code: f.Code, Reason: f.Reason, Message: f.Message}
		if status.Code == 0 {
			status.Code, status.Reason = http.StatusForbidden, metav1.StatusReasonForbidden
		}
		return webhookerrors.ToStatusErr(f.Webhook, status)
	}
	// As pkg/admission/plugin/policy/validating/dispatcher.go (Dispatch)
	// words and records a denial.
	message := fmt.Sprintf("ValidatingAdmissionPolicy '%s' denied request: %s", f.Policy, f.Message)
	if f.Binding != "" {
		message = fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", f.Policy, f.Binding, f.Message)
	}
	failures, _ := json.Marshal([]validatingpolicy.ValidationFailureValue{{
		Message: f.Message, Policy: f.Policy, Binding: f.Binding,
		ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
	}})
	_ = attrs.AddAnnotation("validation.policy.admission.k8s.io/validation_failure", string(failures))
	err := admission.NewForbidden(attrs, errors.New(message)).(*apierrors.StatusError)
	reason := f.Reason
	if reason == "" {
		reason = metav1.StatusReasonInvalid
	}
	err.ErrStatus.Reason = reason
	err.ErrStatus.Code = policyReasonCode(reason)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Message: message})
	return err
}

// policyReasonCode is the code of a policy's denial reason
// (pkg/admission/plugin/policy/validating/policy_decision.go, reasonToCode).
func policyReasonCode(r metav1.StatusReason) int32 {
	switch r {
	case metav1.StatusReasonForbidden:
		return http.StatusForbidden
	case metav1.StatusReasonUnauthorized:
		return http.StatusUnauthorized
	case metav1.StatusReasonRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}
