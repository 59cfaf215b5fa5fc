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
	"crypto/x509"
	"crypto/x509/pkix"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/union"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// Authentication as kube-apiserver does it with envtest's flags
// (pkg/kubeapiserver/authenticator/config.go, New): client certificates
// signed by the server's client CA (--client-ca-file; CN is the user name, O
// the groups), every authenticated user also in system:authenticated, and
// anonymous requests (--anonymous-auth defaults to true) as system:anonymous
// in system:unauthenticated. The loopback client's bearer token (the
// simulated kubelet's, the server's own) is added by
// genericapiserver.AuthorizeClientBearerToken, as in kube-apiserver.

// AdminUser is the identity of the admin credentials Ephemera hands out
// (Environment.Start, the kubeconfig's admin context): envtest's admin user,
// a cluster admin through system:masters.
var AdminUser = User{Name: "admin", Groups: []string{user.SystemPrivilegedGroup}}

// User is a user to authenticate as, shaped like envtest's User.
type User struct {
	// Name is the user's name (the certificate's common name).
	Name string
	// Groups are the user's groups (the certificate's organizations).
	Groups []string
}

// clientCA signs client certificates. Each server has its own: a certificate
// it issued authenticates only there. ECDSA P-256 keeps issuing to tens of
// microseconds (see servingCerts).
type clientCA struct {
	*certificateAuthority
	content dynamiccertificates.CAContentProvider
}

func newClientCA() (*clientCA, error) {
	ca, err := newCA("ephemera-client-ca", time.Now())
	if err != nil {
		return nil, err
	}
	content, err := dynamiccertificates.NewStaticCAContent("client-ca", ca.pem)
	if err != nil {
		return nil, err
	}
	return &clientCA{certificateAuthority: ca, content: content}, nil
}

// issue returns a PEM client certificate and key for u, as envtest's
// TinyCA.NewClientCert: CN = name, O = groups, client-auth usage.
func (ca *clientCA) issue(u User) (certPEM, keyPEM []byte, err error) {
	return ca.sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: u.Name, Organization: u.Groups},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, time.Now())
}

// newAuthenticator is kube-apiserver's request authenticator for these
// flags: x509 and bearer tokens, the authenticated-group adder, then
// anonymous. The bearer tokens envtest's server knows are service-account
// tokens (tokens, see serviceaccounts.go); any other bearer token than those
// and the loopback one is invalid: "invalid bearer token", a 401, before
// anonymous is considered, exactly as kube-apiserver answers an unknown
// token.
func newAuthenticator(ca *clientCA, tokens authenticator.Token) authenticator.Request {
	var a authenticator.Request = union.New(
		newVerifiedChains(x509request.NewDynamic(ca.content.VerifyOptions, x509request.CommonNameUserConversion), ca),
		bearertoken.New(tokens),
	)
	a = group.NewAuthenticatedGroupAdder(a)
	return union.NewFailOnError(a, anonymous.NewAuthenticator(nil))
}
