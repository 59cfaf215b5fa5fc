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

package admissionregistration

import (
	"context"
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/client-go/discovery"
)

// Authorization of params. Creating a policy with a paramKind, or a binding
// with a paramRef, requires that the user may read the params: the policy
// would otherwise let them read objects through admission. Mirrors
// pkg/registry/admissionregistration/{validating,mutating}admissionpolicy{,binding}/authz.go.

// ResourceResolver finds the resource of a kind (upstream
// pkg/registry/admissionregistration/resolver).
type ResourceResolver interface {
	Resolve(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error)
}

// ParamAuthorizer checks param access for the policy and binding strategies.
// A nil Authorizer allows everything.
type ParamAuthorizer struct {
	Authorizer authorizer.Authorizer
	Resolver   ResourceResolver
}

// escalationAllowed is rbac's EscalationAllowed: members of system:masters
// (which the API server's own loopback clients use) skip the checks.
func escalationAllowed(ctx context.Context) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	for _, g := range u.GetGroups() {
		if g == user.SystemPrivilegedGroup {
			return true
		}
	}
	return false
}

// AuthorizeParamKind is the policies' authorize: the user needs "get" on
// every object of the paramKind.
func (a ParamAuthorizer) AuthorizeParamKind(ctx context.Context, paramKind *admissionregistrationv1.ParamKind) error {
	if a.Authorizer == nil || paramKind == nil || escalationAllowed(ctx) {
		return nil
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return fmt.Errorf("cannot identify user to authorize read access to paramKind resources")
	}
	// Without a parsable group/version or a known resource, every one is required.
	resource, group, version := "*", "*", "*"
	if gv, err := schema.ParseGroupVersion(paramKind.APIVersion); err == nil {
		group, version = gv.Group, gv.Version
		if gvr, err := a.Resolver.Resolve(gv.WithKind(paramKind.Kind)); err == nil {
			resource = gvr.Resource
		}
	}
	decision, _, err := a.Authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User: u, Verb: "get", ResourceRequest: true, Name: "*", Namespace: "*",
		APIGroup: group, APIVersion: version, Resource: resource,
	})
	if err != nil {
		return err
	}
	if decision != authorizer.DecisionAllow {
		return fmt.Errorf(`user %v must have "get" permission on all objects of the referenced paramKind (kind=%s, apiVersion=%s)`, u, paramKind.Kind, paramKind.APIVersion)
	}
	return nil
}

// AuthorizeParamRef is the bindings' authorize: the user needs "get" on the
// referenced param (or "list" for a selector), of the bound policy's
// paramKind when it can be found, else of everything. paramKind looks the
// policy up.
func (a ParamAuthorizer) AuthorizeParamRef(ctx context.Context, policyName string, paramRef *admissionregistrationv1.ParamRef,
	paramKind func(ctx context.Context, policyName string) (*admissionregistrationv1.ParamKind, error)) error {
	if a.Resolver == nil {
		return fmt.Errorf(`unexpected internal error: resourceResolver is nil`)
	}
	if a.Authorizer == nil || paramRef == nil || escalationAllowed(ctx) {
		return nil
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return fmt.Errorf("cannot identify user to authorize read access to paramRef object")
	}
	resource, group, version := "*", "*", "*"
	var pk *admissionregistrationv1.ParamKind
	var policyErr, parseErr, resolveErr error
	pk, policyErr = paramKind(ctx, policyName)
	if policyErr == nil && pk != nil {
		var gv schema.GroupVersion
		if gv, parseErr = schema.ParseGroupVersion(pk.APIVersion); parseErr == nil {
			group, version = gv.Group, gv.Version
			var gvr schema.GroupVersionResource
			if gvr, resolveErr = a.Resolver.Resolve(gv.WithKind(pk.Kind)); resolveErr == nil {
				resource = gvr.Resource
			}
		}
	}
	verb := "get"
	if paramRef.Name == "" {
		verb = "list"
	}
	decision, _, err := a.Authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User: u, Verb: verb, ResourceRequest: true, Name: paramRef.Name, Namespace: paramRef.Namespace,
		APIGroup: group, APIVersion: version, Resource: resource,
	})
	if err != nil {
		return fmt.Errorf(`failed to authorize request: %w`, err)
	}
	if decision == authorizer.DecisionAllow {
		return nil
	}
	switch {
	case policyErr != nil:
		return fmt.Errorf(`unable to get policy %s to determine minimum required permissions and user %v does not have "%v" permission for all groups, versions and resources`, policyName, u, verb)
	case parseErr != nil:
		return fmt.Errorf(`unable to parse paramKind %v to determine minimum required permissions and user %v does not have "%v" permission for all groups, versions and resources`, pk, u, verb)
	case resolveErr != nil:
		return fmt.Errorf(`unable to resolve paramKind %v to determine minimum required permissions and user %v does not have "%v" permission for all groups, versions and resources`, pk, u, verb)
	}
	return fmt.Errorf(`user %v does not have "%v" permission on the object referenced by paramRef`, u, verb)
}

// DiscoveryResourceResolver resolves kinds through the server's discovery,
// as kube-apiserver's resolver.NewDiscoveryResourceResolver does: the first
// resource (not subresource) of the group/version with that kind.
type DiscoveryResourceResolver struct {
	Client discovery.DiscoveryInterface
}

// Resolve implements ResourceResolver.
func (d DiscoveryResourceResolver) Resolve(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error) {
	gv := gvk.GroupVersion()
	list, err := d.Client.ServerResourcesForGroupVersion(gv.String())
	if err != nil {
		return schema.GroupVersionResource{}, err
	}
	for _, r := range list.APIResources {
		if r.Kind != gvk.Kind || strings.Contains(r.Name, "/") ||
			(r.Group != "" && r.Group != gvk.Group) || (r.Version != "" && r.Version != gvk.Version) {
			continue
		}
		return gv.WithResource(r.Name), nil
	}
	return schema.GroupVersionResource{}, &meta.NoKindMatchError{GroupKind: gvk.GroupKind(), SearchedVersions: []string{gvk.Version}}
}

// ParamRefColumn is the ParamRef column of a binding's table row
// (printValidatingAdmissionPolicyBinding): "namespace/name", "*/name" when the
// namespace is not given (the param may be cluster-scoped), the selector, or
// "<unset>".
func ParamRefColumn(pr *admissionregistrationv1.ParamRef) string {
	switch {
	case pr == nil:
		return "<unset>"
	case pr.Name != "" && pr.Namespace != "":
		return pr.Namespace + "/" + pr.Name
	case pr.Name != "":
		return "*/" + pr.Name
	case pr.Selector != nil:
		return pr.Selector.String()
	}
	return "<unset>"
}

// ParamKindGetter returns the paramKind of the named policy (nil if it has none).
type ParamKindGetter = func(ctx context.Context, policyName string) (*admissionregistrationv1.ParamKind, error)

// CheckParamRef is a binding strategy's last step: a binding that is
// otherwise valid (errs empty) and has a paramRef is refused if the user
// may not read the params of the bound policy's paramKind. A strategy's
// ValidateUpdate checks again whatever changed: upstream skips the check
// when old and new paramRef compare equal with ==, but the paramRef holds
// pointers (parameterNotFoundAction is required) that two decoded objects
// never share.
func (a ParamAuthorizer) CheckParamRef(ctx context.Context, errs field.ErrorList, policyName string,
	paramRef *admissionregistrationv1.ParamRef, paramKind ParamKindGetter) field.ErrorList {
	if len(errs) > 0 || paramRef == nil {
		return errs
	}
	if err := a.AuthorizeParamRef(ctx, policyName, paramRef, paramKind); err != nil {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "paramRef"), err.Error()))
	}
	return errs
}
