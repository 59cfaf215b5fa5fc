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

// Package authentication is the storage of the authentication.k8s.io/v1
// review resources (k8s.io/kubernetes pkg/registry/authentication):
// selfsubjectreviews ("who am I", kubectl auth whoami) and tokenreviews
// (does this bearer token authenticate, and as whom). Both are create-only
// and store nothing.
package authentication

import (
	"context"
	"fmt"
	"net/http"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// SelfSubjectReviewREST tells the requesting user who the server thinks they
// are (upstream's selfsubjectreview REST).
type SelfSubjectReviewREST struct{}

var (
	_ rest.Creater              = &SelfSubjectReviewREST{}
	_ rest.SingularNameProvider = &SelfSubjectReviewREST{}
)

func (*SelfSubjectReviewREST) New() runtime.Object     { return &authenticationv1.SelfSubjectReview{} }
func (*SelfSubjectReviewREST) Destroy()                {}
func (*SelfSubjectReviewREST) NamespaceScoped() bool   { return false }
func (*SelfSubjectReviewREST) GetSingularName() string { return "selfsubjectreview" }

// Create implements rest.Creater: a new object carrying the user's name,
// UID, groups and extra, stamped with the time.
func (*SelfSubjectReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if _, ok := obj.(*authenticationv1.SelfSubjectReview); !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %#v", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	extra := u.GetExtra()
	out := &authenticationv1.SelfSubjectReview{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Now())},
		Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{
			Username: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups(),
			Extra: make(map[string]authenticationv1.ExtraValue, len(extra)),
		}},
	}
	for k, v := range extra {
		out.Status.UserInfo.Extra[k] = v
	}
	return out, nil
}

// TokenReviewREST authenticates a bearer token with the server's own request
// authenticator (upstream's tokenreview REST).
type TokenReviewREST struct {
	Authenticator authenticator.Request
	APIAudiences  authenticator.Audiences
}

var (
	_ rest.Creater              = &TokenReviewREST{}
	_ rest.SingularNameProvider = &TokenReviewREST{}
)

func (*TokenReviewREST) New() runtime.Object     { return &authenticationv1.TokenReview{} }
func (*TokenReviewREST) Destroy()                {}
func (*TokenReviewREST) NamespaceScoped() bool   { return false }
func (*TokenReviewREST) GetSingularName() string { return "tokenreview" }

// Create implements rest.Creater.
func (r *TokenReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	tr, ok := obj.(*authenticationv1.TokenReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenReview: %#v", obj))
	}
	if ns := genericapirequest.NamespaceValue(ctx); ns != "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", ns))
	}
	if tr.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if r.Authenticator == nil {
		return tr, nil
	}
	// A request that carries nothing but the token.
	req := &http.Request{Header: http.Header{}}
	req.Header.Add("Authorization", "Bearer "+tr.Spec.Token)
	auds := authenticator.Audiences(tr.Spec.Audiences)
	if len(auds) == 0 {
		auds = r.APIAudiences
	}
	if len(auds) > 0 {
		req = req.WithContext(authenticator.WithAudiences(context.Background(), auds))
	}
	resp, ok, err := r.Authenticator.AuthenticateRequest(req)
	tr.Status.Authenticated = ok
	if err != nil {
		tr.Status.Error = err.Error()
	}
	if len(auds) > 0 && resp != nil && len(auds.Intersect(resp.Audiences)) == 0 {
		return nil, apierrors.NewInternalError(fmt.Errorf("error validating audience"))
	}
	if resp != nil && resp.User != nil {
		tr.Status.User = authenticationv1.UserInfo{
			Username: resp.User.GetName(), UID: resp.User.GetUID(), Groups: resp.User.GetGroups(),
			Extra: map[string]authenticationv1.ExtraValue{},
		}
		for k, v := range resp.User.GetExtra() {
			tr.Status.User.Extra[k] = v
		}
		tr.Status.Audiences = resp.Audiences
	}
	return tr, nil
}
