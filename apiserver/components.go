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
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/pem"
	"errors"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	restclient "k8s.io/client-go/rest"
)

// Cluster mode's simulated components (kubelet, scheduler, controllers) run
// in the server's process and act as the admin. They reach the server the
// way its own loopback client does, over in-memory connections, instead of
// over TCP with TLS and the admin's client certificate: with HTTP/1.1 each
// informer's watch holds a connection, and their handshakes (and the
// certificate check of every request) were a tenth of cluster mode's start.
// What the server sees is the same: the admin's identity, with the
// credential ID of the admin's certificate (x509.CommonNameUserConversion
// in k8s.io/apiserver), from 127.0.0.1 (loopback.go), under each
// component's user agent.

// componentCredentials are the bearer token of the components' connections
// and the identity it stands for.
type componentCredentials struct {
	token string
	user  *user.DefaultInfo
}

// newComponentCredentials returns a new token for the admin identity whose
// client certificate is certPEM.
func newComponentCredentials(certPEM []byte) (*componentCredentials, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return nil, errors.New("the admin certificate is not PEM")
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	fp := sha256.Sum256(block.Bytes)
	return &componentCredentials{token: token, user: &user.DefaultInfo{
		Name:   AdminUser.Name,
		Groups: AdminUser.Groups,
		Extra:  map[string][]string{user.CredentialIDKey: {"X509SHA256=" + hex.EncodeToString(fp[:])}},
	}}, nil
}

// authenticate answers for the components' token only.
func (c *componentCredentials) authenticate(token string) (*authenticator.Response, bool) {
	if c == nil || subtle.ConstantTimeCompare([]byte(token), []byte(c.token)) != 1 {
		return nil, false
	}
	// A copy: the authenticated-group adder appends to the groups.
	u := *c.user
	u.Groups = append([]string(nil), c.user.Groups...)
	return &authenticator.Response{User: &u}, true
}

// authenticateToken authenticates the bearer tokens the server knows besides
// the loopback one: the components' token, then service-account tokens.
func (s *Server) authenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	if resp, ok := s.components.authenticate(token); ok {
		return resp, true, nil
	}
	return s.authenticateServiceAccountToken(ctx, token)
}

// componentConfig is the admin's client for cluster mode's components.
func (s *Server) componentConfig() *restclient.Config {
	return &restclient.Config{
		Host:        "http://" + s.loopback.Addr().String(),
		BearerToken: s.components.token,
		Dial:        s.loopback.DialContext,
		QPS:         -1,
	}
}
