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

package apiserver

import (
	"context"
	"fmt"
	"strconv"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/authorization/union"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/klog/v2"

	authzrbac "github.com/ephemera-dev/ephemera/authorization/rbac"
	"github.com/ephemera-dev/ephemera/controlplane"
	registryauthn "github.com/ephemera-dev/ephemera/registry/authentication"
	registryauthz "github.com/ephemera-dev/ephemera/registry/authorization"
	rbacregistry "github.com/ephemera-dev/ephemera/registry/rbac"
	"github.com/ephemera-dev/ephemera/registry/rbac/clusterrole"
	"github.com/ephemera-dev/ephemera/registry/rbac/clusterrolebinding"
	"github.com/ephemera-dev/ephemera/registry/rbac/role"
	"github.com/ephemera-dev/ephemera/registry/rbac/rolebinding"
)

// access is access control as kube-apiserver --authorization-mode=RBAC (what
// envtest runs) has it: the RBAC API and its storage, the authorizer (the
// system:masters group, then RBAC, as pkg/kubeapiserver/authorizer/reload.go
// builds it), the review APIs, and the bootstrap policy.
type access struct {
	roles, roleBindings, clusterRoles, clusterRoleBindings *genericregistry.Store

	index        *authzrbac.Index
	rbac         authzrbac.Authorizer
	authorizer   authorizer.Authorizer
	ruleResolver authorizer.RuleResolver
}

func newAccess(optsGetter generic.RESTOptionsGetter) (*access, error) {
	a := &access{index: authzrbac.NewIndex()}
	var err error
	if a.roles, err = role.NewStore(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if a.roleBindings, err = rolebinding.NewStore(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if a.clusterRoles, err = clusterrole.NewStore(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if a.clusterRoleBindings, err = clusterrolebinding.NewStore(optsGetter, Scheme); err != nil {
		return nil, err
	}
	a.rbac = authzrbac.Authorizer{Resolver: authzrbac.Resolver{Policy: a.index}}
	a.authorizer, err = union.New(
		union.NamedAuthorizer{AuthorizerName: "kubernetes.io/system-privileged-group", Authorizer: authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)},
		union.NamedAuthorizer{AuthorizerName: "rbac", Authorizer: a.rbac},
	)
	if err != nil {
		return nil, err
	}
	a.ruleResolver = union.NewRuleResolvers(a.rbac)
	return a, nil
}

// apiGroups returns the API groups rbac.authorization.k8s.io,
// authorization.k8s.io and authentication.k8s.io. authz is the server's
// complete authorizer (the reviews answer with it), authn its request
// authenticator (for tokenreviews).
func (a *access) apiGroups(authz authorizer.Authorizer, authn authenticator.Request, audiences authenticator.Audiences) []*genericapiserver.APIGroupInfo {
	// The escalation checks resolve rules from storage, not from the index.
	resolver := authzrbac.Resolver{Policy: &rbacregistry.StoragePolicy{
		Roles: a.roles, RoleBindings: a.roleBindings, ClusterRoles: a.clusterRoles, ClusterRoleBindings: a.clusterRoleBindings,
	}}
	group := func(gv string, storage map[string]rest.Storage) *genericapiserver.APIGroupInfo {
		var name string
		switch gv {
		case rbacv1.SchemeGroupVersion.String():
			name = rbacv1.GroupName
		case authorizationv1.SchemeGroupVersion.String():
			name = authorizationv1.GroupName
		default:
			name = authenticationv1.GroupName
		}
		info := genericapiserver.NewDefaultAPIGroupInfo(name, Scheme, runtime.NewParameterCodec(Scheme), Codecs)
		info.VersionedResourcesStorageMap["v1"] = storage
		return &info
	}
	return []*genericapiserver.APIGroupInfo{
		group(rbacv1.SchemeGroupVersion.String(), map[string]rest.Storage{
			"roles":               &rbacregistry.GuardedREST{Store: a.roles, Guard: rbacregistry.RoleGuard(authz, resolver)},
			"rolebindings":        &rbacregistry.GuardedREST{Store: a.roleBindings, Guard: rbacregistry.BindingGuard(authz, resolver)},
			"clusterroles":        &rbacregistry.GuardedREST{Store: a.clusterRoles, Guard: rbacregistry.RoleGuard(authz, resolver)},
			"clusterrolebindings": &rbacregistry.GuardedREST{Store: a.clusterRoleBindings, Guard: rbacregistry.BindingGuard(authz, resolver)},
		}),
		group(authorizationv1.SchemeGroupVersion.String(), map[string]rest.Storage{
			"subjectaccessreviews":      registryauthz.NewSubjectAccessReviewREST(authz),
			"selfsubjectaccessreviews":  registryauthz.NewSelfSubjectAccessReviewREST(authz),
			"localsubjectaccessreviews": registryauthz.NewLocalSubjectAccessReviewREST(authz),
			"selfsubjectrulesreviews":   registryauthz.NewSelfSubjectRulesReviewREST(a.ruleResolver),
		}),
		group(authenticationv1.SchemeGroupVersion.String(), map[string]rest.Storage{
			"tokenreviews":       &registryauthn.TokenReviewREST{Authenticator: authn, APIAudiences: audiences},
			"selfsubjectreviews": &registryauthn.SelfSubjectReviewREST{},
		}),
	}
}

// bootstrap is the post-start hook "rbac/bootstrap-roles": it writes the
// bootstrap policy straight into storage (no request per object; the
// objects are parsed once per process and only stamped here), hands the same
// objects to the authorizer's index, then keeps the index following storage
// until the server stops. An object that already exists (a restart on the
// same etcd) is left as it is; kube-apiserver would reconcile it, which only
// matters after an upgrade.
func (a *access) bootstrap(ctx context.Context) error {
	p := controlplane.Policy().Stamped(time.Now())
	existed := false
	write := func(store *genericregistry.Store, namespace, name string, obj runtime.Object) error {
		nctx := genericapirequest.WithNamespace(ctx, namespace)
		key, err := store.KeyFunc(nctx, name)
		if err != nil {
			return err
		}
		if err := store.Storage.Create(nctx, key, obj, nil, 0, false); err != nil {
			if storage.IsExist(err) {
				existed = true
				return nil
			}
			return fmt.Errorf("writing %s %s/%s: %w", store.DefaultQualifiedResource, namespace, name, err)
		}
		return nil
	}
	for i := range p.ClusterRoles {
		o := &p.ClusterRoles[i]
		if err := write(a.clusterRoles, "", o.Name, o); err != nil {
			return err
		}
		a.index.Apply(watch.Added, o)
	}
	for i := range p.ClusterRoleBindings {
		o := &p.ClusterRoleBindings[i]
		if err := write(a.clusterRoleBindings, "", o.Name, o); err != nil {
			return err
		}
		a.index.Apply(watch.Added, o)
	}
	for i := range p.Roles {
		o := &p.Roles[i]
		if err := write(a.roles, o.Namespace, o.Name, o); err != nil {
			return err
		}
		a.index.Apply(watch.Added, o)
	}
	for i := range p.RoleBindings {
		o := &p.RoleBindings[i]
		if err := write(a.roleBindings, o.Namespace, o.Name, o); err != nil {
			return err
		}
		a.index.Apply(watch.Added, o)
	}
	stores := []*genericregistry.Store{a.roles, a.roleBindings, a.clusterRoles, a.clusterRoleBindings}
	if existed {
		// Storage had a policy already (etcd shared with other replicas or
		// kept from an earlier run): the index reads everything stored,
		// before the server is ready, and follows from there.
		all := genericapirequest.WithNamespace(ctx, "")
		for _, s := range stores {
			list, err := s.List(all, &metainternalversion.ListOptions{})
			if err != nil {
				return err
			}
			rv, err := a.index.Replace(list)
			if err != nil {
				return err
			}
			go a.follow(ctx, s, rv)
		}
		return nil
	}
	// The index holds what was just written; follow each resource from here.
	rv, err := a.clusterRoles.Storage.Storage.GetCurrentResourceVersion(ctx)
	if err != nil {
		return err
	}
	for _, s := range stores {
		go a.follow(ctx, s, strconv.FormatUint(rv, 10))
	}
	return nil
}

// follow keeps the index current with one resource from resourceVersion rv
// on. A change reaches the index a moment after it is stored, as it reaches
// kube-apiserver's informers. Should the watch end before ctx (its history
// compacted away), the resource is listed afresh, replaced in the index and
// followed from the list's resourceVersion, as a reflector does.
func (a *access) follow(ctx context.Context, s *genericregistry.Store, rv string) {
	all := genericapirequest.WithNamespace(ctx, "")
	for ctx.Err() == nil {
		if rv == "" {
			list, err := s.List(all, &metainternalversion.ListOptions{})
			if err == nil {
				rv, err = a.index.Replace(list)
			}
			if err != nil {
				klog.V(2).InfoS("RBAC index: list failed, retrying", "resource", s.DefaultQualifiedResource, "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
		}
		w, err := s.Watch(all, &metainternalversion.ListOptions{ResourceVersion: rv, Watch: true})
		rv = ""
		if err != nil {
			continue
		}
		a.index.Follow(ctx, w)
	}
}

// configureAccess sets up authentication (client certificates from a new
// client CA, anonymous) and authorization (system:masters, then RBAC) on
// config, and the admin credentials of s.
func (s *Server) configureAccess(config *genericapiserver.Config, optsGetter generic.RESTOptionsGetter) (*access, error) {
	ca, err := newClientCA()
	if err != nil {
		return nil, fmt.Errorf("generating the client CA: %w", err)
	}
	s.clientCA = ca
	if s.adminCert, s.adminKey, err = ca.issue(AdminUser); err != nil {
		return nil, fmt.Errorf("issuing the admin certificate: %w", err)
	}
	if s.components, err = newComponentCredentials(s.adminCert); err != nil {
		return nil, err
	}
	a, err := newAccess(optsGetter)
	if err != nil {
		return nil, err
	}
	config.SecureServing.ClientCA = ca.content
	config.Authentication.Authenticator = newAuthenticator(ca, authenticator.TokenFunc(s.authenticateToken))
	config.Authorization.Authorizer = a.authorizer
	config.RuleResolver = a.ruleResolver
	genericapiserver.AuthorizeClientBearerToken(config.LoopbackClientConfig, &config.Authentication, &config.Authorization)
	return a, nil
}

// groups are the access API groups (RBAC, authentication and authorization
// reviews), for one InstallAPIGroups call with the server's other groups.
func (a *access) groups(config *genericapiserver.Config) []*genericapiserver.APIGroupInfo {
	return a.apiGroups(config.Authorization.Authorizer, config.Authentication.Authenticator, config.Authentication.APIAudiences)
}

// addBootstrapHook registers the post-start hook that writes the bootstrap
// policy (pkg/registry/rbac/rest/storage_rbac.go, "rbac/bootstrap-roles").
func (a *access) addBootstrapHook(generic *genericapiserver.GenericAPIServer) error {
	return generic.AddPostStartHook("rbac/bootstrap-roles", func(hookCtx genericapiserver.PostStartHookContext) error {
		return a.bootstrap(hookCtx)
	})
}
