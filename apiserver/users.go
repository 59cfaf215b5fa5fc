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
	"errors"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// AuthenticatedUser is a user provisioned with AddUser, shaped like envtest's
// AuthenticatedUser: a client certificate the server's client CA signed.
type AuthenticatedUser struct {
	name string
	cfg  *rest.Config
}

// Config returns a *rest.Config authenticating as the user.
func (u *AuthenticatedUser) Config() *rest.Config { return rest.CopyConfig(u.cfg) }

// KubeConfig returns a kubeconfig authenticating as the user.
func (u *AuthenticatedUser) KubeConfig() ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: u.cfg.Host, CertificateAuthorityData: u.cfg.CAData}
	cfg.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{ClientCertificateData: u.cfg.CertData, ClientKeyData: u.cfg.KeyData}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: "default"}
	cfg.CurrentContext = ContextName
	return clientcmd.Write(*cfg)
}

// AddUser issues a client certificate for u (CN = name, O = groups) and
// returns the user. baseConfig, if not nil, supplies the other settings of
// the user's config (QPS, timeouts, ...), as in envtest.
func (s *Server) AddUser(u User, baseConfig *rest.Config) (*AuthenticatedUser, error) {
	if u.Name == "" {
		return nil, errors.New("a user needs a name")
	}
	certPEM, keyPEM, err := s.clientCA.issue(u)
	if err != nil {
		return nil, err
	}
	cfg := &rest.Config{QPS: -1}
	if baseConfig != nil {
		cfg = rest.CopyConfig(baseConfig)
	}
	cfg.Host = s.url
	cfg.BearerToken, cfg.BearerTokenFile, cfg.Username, cfg.Password = "", "", "", ""
	cfg.TLSClientConfig = rest.TLSClientConfig{CAData: s.caPEM, CertData: certPEM, KeyData: keyPEM}
	return &AuthenticatedUser{name: u.Name, cfg: cfg}, nil
}

// AddUser provisions a user on the running environment, as envtest's
// Environment.AddUser: the returned user's Config authenticates with a client
// certificate signed by the server's client CA. The admin of Start is
// AdminUser (system:masters).
func (e *Environment) AddUser(u User, baseConfig *rest.Config) (*AuthenticatedUser, error) {
	if e.server == nil {
		return nil, errors.New("the environment is not started")
	}
	return e.server.AddUser(u, baseConfig)
}

// UserContextName is the kubeconfig context of the user name.
func UserContextName(name string) string { return ContextName + "-" + name }

// WithUserContexts returns kubeconfig (as Environment.KubeConfig) with a
// context "ephemera-<name>" (user "ephemera-<name>", the same cluster) for
// each user; the current context stays the admin's. `ephemera serve --user`
// writes it.
func WithUserContexts(kubeconfig []byte, users ...*AuthenticatedUser) ([]byte, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, err
	}
	cur, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return nil, errors.New("kubeconfig has no current context")
	}
	for _, u := range users {
		n := UserContextName(u.name)
		cfg.AuthInfos[n] = &clientcmdapi.AuthInfo{ClientCertificateData: u.cfg.CertData, ClientKeyData: u.cfg.KeyData}
		cfg.Contexts[n] = &clientcmdapi.Context{Cluster: cur.Cluster, AuthInfo: n, Namespace: cur.Namespace}
	}
	return clientcmd.Write(*cfg)
}
