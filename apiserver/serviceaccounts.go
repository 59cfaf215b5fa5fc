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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	saadmission "github.com/ephemera-dev/ephemera/admission/serviceaccount"
	"github.com/ephemera-dev/ephemera/authentication/serviceaccount"
	saregistry "github.com/ephemera-dev/ephemera/registry/serviceaccount"
)

// serviceAccountTokens is the token issuer of the server
// (--service-account-issuer with its signing key; envtest and kind both set
// one): serviceaccounts/token signs with it and the bearer-token
// authenticator accepts what it signed.
type serviceAccountTokens struct {
	issuer        *serviceaccount.Issuer
	authenticator authenticator.Token
}

// newServiceAccountTokens adds serviceaccounts/token to storage. The issuer
// is cfg.ServiceAccountIssuer, else the server's URL with a trailing slash
// (what envtest passes); the API audiences are the issuer, kube-apiserver's
// default.
func newServiceAccountTokens(cfg Config, url string, storage map[string]rest.Storage) (*serviceAccountTokens, error) {
	iss := cfg.ServiceAccountIssuer
	if iss == "" {
		iss = url + "/"
	}
	key := cfg.ServiceAccountSigningKey
	if key == nil {
		k, err := serviceaccount.ECDSAKey()
		if err != nil {
			return nil, err
		}
		key = k
	}
	issuer, err := serviceaccount.NewIssuer(iss, key)
	if err != nil {
		return nil, err
	}
	auds := authenticator.Audiences{iss}
	storage["serviceaccounts/token"] = &saregistry.TokenREST{
		ServiceAccounts:  storage["serviceaccounts"].(rest.Getter),
		Pods:             storage["pods"].(rest.Getter),
		Secrets:          storage["secrets"].(rest.Getter),
		Nodes:            storage["nodes"].(rest.Getter),
		Issuer:           issuer,
		Audiences:        auds,
		ExtendExpiration: true,
	}
	return &serviceAccountTokens{issuer: issuer, authenticator: issuer.Authenticator(auds, storageGetter(storage))}, nil
}

// storageGetter reads what tokens refer to straight from storage, as
// upstream's getter falls back to live lookups.
type storageGetter map[string]rest.Storage

func (g storageGetter) get(ctx context.Context, resource, namespace, name string) (any, error) {
	ctx = genericapirequest.WithNamespace(ctx, namespace)
	return g[resource].(rest.Getter).Get(ctx, name, &metav1.GetOptions{})
}

func (g storageGetter) GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	obj, err := g.get(ctx, "serviceaccounts", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.ServiceAccount), nil
}

func (g storageGetter) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	obj, err := g.get(ctx, "pods", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

func (g storageGetter) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	obj, err := g.get(ctx, "secrets", namespace, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Secret), nil
}

func (g storageGetter) GetNode(ctx context.Context, name string) (*corev1.Node, error) {
	obj, err := g.get(ctx, "nodes", "", name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Node), nil
}

// clusterAdmission is the ServiceAccount admission plugin when the config
// asks for it, reading service accounts straight from storage.
func clusterAdmission(cfg Config, storage map[string]rest.Storage, own map[string]admission.Interface) {
	if !cfg.ServiceAccountAdmission {
		return
	}
	get := storageGetter(storage)
	own["ServiceAccount"] = saadmission.New(get.GetServiceAccount)
}

// authenticateServiceAccountToken authenticates the bearer tokens the
// server's issuer signed (the issuer exists once the storage is built,
// before the server serves).
func (s *Server) authenticateServiceAccountToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	if s.tokens == nil {
		return nil, false, nil
	}
	return s.tokens.authenticator.AuthenticateToken(ctx, token)
}
