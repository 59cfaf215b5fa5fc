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

// Package authorization is the storage of the authorization.k8s.io/v1 review
// resources: subjectaccessreviews, selfsubjectaccessreviews,
// localsubjectaccessreviews and selfsubjectrulesreviews (k8s.io/kubernetes
// pkg/registry/authorization/*/rest.go). Each is create-only and stores
// nothing: the server's authorizer answers the question asked.
package authorization

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// review is what the four storages share.
type review struct {
	newFunc  func() runtime.Object
	singular string
}

func (r review) New() runtime.Object     { return r.newFunc() }
func (review) Destroy()                  {}
func (r review) GetSingularName() string { return r.singular }

// SubjectAccessReviewREST answers "may this user do this?" for any user.
type SubjectAccessReviewREST struct {
	review
	Authorizer authorizer.UnconditionalAuthorizer
}

// NewSubjectAccessReviewREST returns the storage of subjectaccessreviews.
func NewSubjectAccessReviewREST(a authorizer.UnconditionalAuthorizer) *SubjectAccessReviewREST {
	return &SubjectAccessReviewREST{review{func() runtime.Object { return &authorizationv1.SubjectAccessReview{} }, "subjectaccessreview"}, a}
}

var (
	_ rest.Creater              = &SubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &SubjectAccessReviewREST{}
)

func (*SubjectAccessReviewREST) NamespaceScoped() bool { return false }

// Create implements rest.Creater.
func (r *SubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	sar, ok := obj.(*authorizationv1.SubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SubjectAccessReview: %#v", obj))
	}
	if errs := ValidateSubjectAccessReview(sar); len(errs) > 0 {
		return nil, apierrors.NewInvalid(invalidKind, "", errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	attrs := attributesFrom(sar.Spec)
	sar.Status = decide(ctx, r.Authorizer, attrs)
	return sar, nil
}

// SelfSubjectAccessReviewREST answers "may I do this?".
type SelfSubjectAccessReviewREST struct {
	review
	Authorizer authorizer.UnconditionalAuthorizer
}

// NewSelfSubjectAccessReviewREST returns the storage of selfsubjectaccessreviews.
func NewSelfSubjectAccessReviewREST(a authorizer.UnconditionalAuthorizer) *SelfSubjectAccessReviewREST {
	return &SelfSubjectAccessReviewREST{review{func() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }, "selfsubjectaccessreview"}, a}
}

var (
	_ rest.Creater              = &SelfSubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &SelfSubjectAccessReviewREST{}
)

func (*SelfSubjectAccessReviewREST) NamespaceScoped() bool { return false }

// Create implements rest.Creater.
func (r *SelfSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	sar, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %#v", obj))
	}
	if errs := ValidateSelfSubjectAccessReview(sar); len(errs) > 0 {
		return nil, apierrors.NewInvalid(invalidKind, "", errs)
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	var attrs authorizer.AttributesRecord
	if sar.Spec.ResourceAttributes != nil {
		attrs = resourceAttributesFrom(u, *sar.Spec.ResourceAttributes)
	} else {
		attrs = nonResourceAttributesFrom(u, *sar.Spec.NonResourceAttributes)
	}
	sar.Status = decide(ctx, r.Authorizer, attrs)
	return sar, nil
}

// LocalSubjectAccessReviewREST answers "may this user do this here?" in one
// namespace.
type LocalSubjectAccessReviewREST struct {
	review
	Authorizer authorizer.UnconditionalAuthorizer
}

// NewLocalSubjectAccessReviewREST returns the storage of localsubjectaccessreviews.
func NewLocalSubjectAccessReviewREST(a authorizer.UnconditionalAuthorizer) *LocalSubjectAccessReviewREST {
	return &LocalSubjectAccessReviewREST{review{func() runtime.Object { return &authorizationv1.LocalSubjectAccessReview{} }, "localsubjectaccessreview"}, a}
}

var (
	_ rest.Creater              = &LocalSubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &LocalSubjectAccessReviewREST{}
)

func (*LocalSubjectAccessReviewREST) NamespaceScoped() bool { return true }

// Create implements rest.Creater.
func (r *LocalSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	sar, ok := obj.(*authorizationv1.LocalSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a LocaLocalSubjectAccessReview: %#v", obj))
	}
	if errs := ValidateLocalSubjectAccessReview(sar); len(errs) > 0 {
		return nil, apierrors.NewInvalid(invalidKind, "", errs)
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	if namespace == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is required on this type: %v", namespace))
	}
	if namespace != sar.Namespace {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", namespace))
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	sar.Status = decide(ctx, r.Authorizer, attributesFrom(sar.Spec))
	return sar, nil
}

// SelfSubjectRulesReviewREST lists what the requesting user may do in a
// namespace.
type SelfSubjectRulesReviewREST struct {
	review
	RuleResolver authorizer.RuleResolver
}

// NewSelfSubjectRulesReviewREST returns the storage of selfsubjectrulesreviews.
func NewSelfSubjectRulesReviewREST(r authorizer.RuleResolver) *SelfSubjectRulesReviewREST {
	return &SelfSubjectRulesReviewREST{review{func() runtime.Object { return &authorizationv1.SelfSubjectRulesReview{} }, "selfsubjectrulesreview"}, r}
}

var (
	_ rest.Creater              = &SelfSubjectRulesReviewREST{}
	_ rest.SingularNameProvider = &SelfSubjectRulesReviewREST{}
)

func (*SelfSubjectRulesReviewREST) NamespaceScoped() bool { return false }

// Create implements rest.Creater. As upstream, the answer is a new object:
// the spec asked is not echoed.
func (r *SelfSubjectRulesReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	srr, ok := obj.(*authorizationv1.SelfSubjectRulesReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectRulesReview: %#v", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if srr.Spec.Namespace == "" {
		return nil, apierrors.NewBadRequest("no namespace on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	resourceInfo, nonResourceInfo, incomplete, err := r.RuleResolver.RulesFor(ctx, u, srr.Spec.Namespace)
	out := &authorizationv1.SelfSubjectRulesReview{Status: authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    make([]authorizationv1.ResourceRule, len(resourceInfo)),
		NonResourceRules: make([]authorizationv1.NonResourceRule, len(nonResourceInfo)),
		Incomplete:       incomplete,
	}}
	for i, info := range resourceInfo {
		out.Status.ResourceRules[i] = authorizationv1.ResourceRule{Verbs: info.GetVerbs(), APIGroups: info.GetAPIGroups(), Resources: info.GetResources(), ResourceNames: info.GetResourceNames()}
	}
	for i, info := range nonResourceInfo {
		out.Status.NonResourceRules[i] = authorizationv1.NonResourceRule{Verbs: info.GetVerbs(), NonResourceURLs: info.GetNonResourceURLs()}
	}
	if err != nil {
		out.Status.EvaluationError = err.Error()
	}
	return out, nil
}

// invalidKind is the kind upstream's Invalid errors name: its handlers pass
// the internal object's Kind, which decoding leaves empty, so the message
// reads ".authorization.k8s.io \"\" is invalid" and details has no kind.
var invalidKind = schema.GroupKind{Group: authorizationv1.GroupName}

// decide runs the authorizer and fills a review's status.
func decide(ctx context.Context, a authorizer.UnconditionalAuthorizer, attrs authorizer.AttributesRecord) authorizationv1.SubjectAccessReviewStatus {
	decision, reason, err := a.Authorize(ctx, attrs)
	return authorizationv1.SubjectAccessReviewStatus{
		Allowed:         decision == authorizer.DecisionAllow,
		Denied:          decision == authorizer.DecisionDeny,
		Reason:          reason,
		EvaluationError: evaluationError(err, attrs),
	}
}

// attributesFrom is upstream's AuthorizationAttributesFrom: the user the
// review names, with the resource or non-resource attributes asked about.
func attributesFrom(spec authorizationv1.SubjectAccessReviewSpec) authorizer.AttributesRecord {
	u := &user.DefaultInfo{Name: spec.User, Groups: spec.Groups, UID: spec.UID}
	if spec.Extra != nil {
		u.Extra = map[string][]string{}
		for k, v := range spec.Extra {
			u.Extra[k] = []string(v)
		}
	}
	if spec.ResourceAttributes != nil {
		return resourceAttributesFrom(u, *spec.ResourceAttributes)
	}
	return nonResourceAttributesFrom(u, *spec.NonResourceAttributes)
}

func nonResourceAttributesFrom(u user.Info, in authorizationv1.NonResourceAttributes) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{User: u, ResourceRequest: false, Path: in.Path, Verb: in.Verb}
}
