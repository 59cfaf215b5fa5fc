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
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/authentication/serviceaccount"
)

// TokenREST is serviceaccounts/token, the TokenRequest API
// (pkg/registry/core/serviceaccount/storage/token.go): a bound token for a
// service account, optionally bound to a pod, secret or node, signed by the
// server's issuer. Tokens bound to webhook configurations need the
// APIServerWebhookAuthenticationToken gate, alpha and off in v1.37.
type TokenREST struct {
	ServiceAccounts, Pods, Secrets, Nodes rest.Getter
	Issuer                                *serviceaccount.Issuer
	// Audiences are the API audiences (--api-audiences, default the issuer).
	Audiences authenticator.Audiences
	// ExtendExpiration mirrors --service-account-extend-token-expiration
	// (default true): a pod-bound token asked for 3607 seconds with the API
	// audiences is valid a year and only warns after 3607 seconds.
	ExtendExpiration bool
}

var (
	_ rest.NamedCreater                   = &TokenREST{}
	_ rest.GroupVersionKindProvider       = &TokenREST{}
	_ rest.SubresourceObjectMetaPreserver = &TokenREST{}
)

var tokenRequestGVK = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// New returns an empty TokenRequest.
func (r *TokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }

// Destroy does nothing.
func (r *TokenREST) Destroy() {}

// GroupVersionKind implements rest.GroupVersionKindProvider.
func (r *TokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return tokenRequestGVK
}

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate implements
// rest.SubresourceObjectMetaPreserver: the request's metadata is its own.
func (r *TokenREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create issues a token, as TokenREST.Create does.
func (r *TokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	req := obj.(*authenticationv1.TokenRequest)
	namespace, ok := genericapirequest.NamespaceFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("namespace is required")
	}
	gk := tokenRequestGVK.GroupKind()
	if req.Name != "" && req.Name != name {
		return nil, apierrors.NewInvalid(gk, name, field.ErrorList{field.Invalid(field.NewPath("metadata").Child("name"), req.Name, "must match the service account name if specified")})
	}
	if req.Namespace != "" && req.Namespace != namespace {
		return nil, apierrors.NewInvalid(gk, name, field.ErrorList{field.Invalid(field.NewPath("metadata").Child("namespace"), req.Namespace, "must match the service account namespace if specified")})
	}
	saObj, err := r.ServiceAccounts.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := saObj.(*corev1.ServiceAccount)
	if req.UID != "" && req.UID != sa.UID {
		// TokenRequestServiceAccountUIDValidation (beta, on).
		return nil, apierrors.NewConflict(schema.GroupResource{Group: gk.Group, Resource: gk.Kind}, name,
			fmt.Errorf("the UID in the token request (%s) does not match the UID of the service account (%s)", req.UID, sa.UID))
	}
	if len(req.Spec.Audiences) == 0 {
		req.Spec.Audiences = r.Audiences
	}
	if req.Name == "" {
		req.Name = sa.Name
	}
	if req.Namespace == "" {
		req.Namespace = sa.Namespace
	}
	if req.UID == "" {
		req.UID = sa.UID
	}
	now := time.Now()
	req.CreationTimestamp = metav1.NewTime(now)
	req.Status = authenticationv1.TokenRequestStatus{}
	exp := int64(3600)
	if req.Spec.ExpirationSeconds != nil {
		exp = *req.Spec.ExpirationSeconds
	}
	if errs := validateTokenRequest(req, exp); len(errs) != 0 {
		return nil, apierrors.NewInvalid(gk, "", errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	var binding serviceaccount.Binding
	if ref := req.Spec.BoundObjectRef; ref != nil {
		var uid types.UID
		gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
		switch {
		case gvk.Group == "" && gvk.Kind == "Pod":
			podObj, err := r.Pods.Get(getContext(ctx, "pods", ref.Name, namespace), ref.Name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			pod := podObj.(*corev1.Pod)
			if name != pod.Spec.ServiceAccountName {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", name))
			}
			uid = pod.UID
			binding.Pod = pod
			if nodeName := pod.Spec.NodeName; nodeName != "" {
				nodeObj, err := r.Nodes.Get(getContext(ctx, "nodes", nodeName, ""), nodeName, &metav1.GetOptions{})
				switch {
				case apierrors.IsNotFound(err):
					binding.Node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
				case err != nil:
					return nil, apierrors.NewInternalError(err)
				default:
					binding.Node = nodeObj.(*corev1.Node)
				}
			}
		case gvk.Group == "" && gvk.Kind == "Node":
			nodeObj, err := r.Nodes.Get(getContext(ctx, "nodes", ref.Name, ""), ref.Name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			binding.Node = nodeObj.(*corev1.Node)
			uid = binding.Node.UID
		case gvk.Group == "" && gvk.Kind == "Secret":
			secretObj, err := r.Secrets.Get(getContext(ctx, "secrets", ref.Name, namespace), ref.Name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			binding.Secret = secretObj.(*corev1.Secret)
			uid = binding.Secret.UID
		case gvk.Group == "admissionregistration.k8s.io" && gvk.Version == "v1" && (gvk.Kind == "ValidatingWebhookConfiguration" || gvk.Kind == "MutatingWebhookConfiguration"):
			return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s (feature gate %s is disabled)", gvk.String(), "APIServerWebhookAuthenticationToken"))
		default:
			return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
		}
		if ref.UID != "" && uid != ref.UID {
			return nil, apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
				fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
		}
	}

	var warnAfter int64
	tokenExp := exp
	if r.ExtendExpiration && binding.Pod != nil && exp == serviceaccount.WarnOnlyBoundTokenExpirationSeconds && r.isAPIAudiences(req.Spec.Audiences) {
		warnAfter = exp
		tokenExp = serviceaccount.ExpirationExtensionSeconds
	}
	token, err := r.Issuer.Token(sa, binding, tokenExp, warnAfter, req.Spec.Audiences)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to generate token: %v", err))
	}
	out := req.DeepCopy()
	out.Spec.ExpirationSeconds = &exp
	out.Status = authenticationv1.TokenRequestStatus{
		Token:               token,
		ExpirationTimestamp: metav1.Time{Time: now.Add(time.Duration(exp) * time.Second)},
	}
	return out, nil
}

// isAPIAudiences mirrors isKubeAudiences: every requested audience is one of
// the API's.
func (r *TokenREST) isAPIAudiences(auds []string) bool {
	for _, a := range auds {
		if !r.Audiences.Has(a) {
			return false
		}
	}
	return true
}

// validateTokenRequest mirrors authentication validation.ValidateTokenRequest
// for requests not bound to a webhook configuration.
func validateTokenRequest(req *authenticationv1.TokenRequest, exp int64) field.ErrorList {
	errs := field.ErrorList{}
	spec := field.NewPath("spec")
	if exp < 10*60 {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), exp, "may not specify a duration less than 10 minutes"))
	}
	if exp > 1<<32 {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), exp, "may not specify a duration larger than 2^32 seconds"))
	}
	if len(req.Spec.Attestations) != 0 {
		return field.ErrorList{field.Invalid(spec.Child("attestations"), req.Spec.Attestations, "attestations may only be specified with a webhook bound object reference")}
	}
	return errs
}

// getContext is newContext upstream: the request info of a get of the
// bound object, so that the storage reads the right namespace.
func getContext(ctx context.Context, resource, name, namespace string) context.Context {
	ctx = genericapirequest.WithNamespace(ctx, namespace)
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "get", Namespace: namespace, Resource: resource, Name: name,
		Parts: []string{resource, name}, APIVersion: "v1",
	})
}
