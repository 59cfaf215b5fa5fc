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
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
)

// k8s.io/apiserver's x509 authenticator verifies the client certificate's
// chain on every request (the TLS handshake only asks for it), an ECDSA
// signature check that was a tenth of a pod GET's CPU. The chains a server
// accepts cannot change while it runs (its client CA is fixed at start), so
// the answer for a chain holds until a certificate of it expires:
// verifiedChains remembers the users of chains that authenticated and gives
// them again while every certificate of the chain (the CA's included) is
// valid. Chains that fail are checked afresh every time, so errors read as
// upstream's. The one difference: the authenticator's metric of client
// certificate expiry (apiserver_client_certificate_expiration_seconds) is
// observed only when a chain is verified.
type verifiedChains struct {
	verify authenticator.Request
	// caNotBefore and caNotAfter bound every chain the CA signed.
	caNotBefore, caNotAfter time.Time

	mu    sync.Mutex
	users map[[sha256.Size]byte]verifiedUser
}

type verifiedUser struct {
	resp                *authenticator.Response
	notBefore, notAfter time.Time
}

// maxVerifiedChains bounds the memory: a test makes a handful of users.
const maxVerifiedChains = 1024

func newVerifiedChains(verify authenticator.Request, ca *clientCA) *verifiedChains {
	return &verifiedChains{verify: verify, caNotBefore: ca.cert.NotBefore, caNotAfter: ca.cert.NotAfter,
		users: map[[sha256.Size]byte]verifiedUser{}}
}

func (v *verifiedChains) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return v.verify.AuthenticateRequest(req)
	}
	h := sha256.New()
	for _, c := range req.TLS.PeerCertificates {
		_ = binary.Write(h, binary.BigEndian, uint32(len(c.Raw)))
		h.Write(c.Raw)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	now := time.Now()
	v.mu.Lock()
	u, hit := v.users[key]
	v.mu.Unlock()
	if hit && !now.Before(u.notBefore) && !now.After(u.notAfter) {
		return copyResponse(u.resp), true, nil
	}
	resp, ok, err := v.verify.AuthenticateRequest(req)
	if !ok || err != nil {
		return resp, ok, err
	}
	u = verifiedUser{resp: copyResponse(resp), notBefore: v.caNotBefore, notAfter: v.caNotAfter}
	for _, c := range req.TLS.PeerCertificates {
		if c.NotBefore.After(u.notBefore) {
			u.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(u.notAfter) {
			u.notAfter = c.NotAfter
		}
	}
	v.mu.Lock()
	if len(v.users) >= maxVerifiedChains {
		clear(v.users)
	}
	v.users[key] = u
	v.mu.Unlock()
	return resp, true, nil
}

// copyResponse copies what later filters may change: the authenticated
// group adder appends to the groups.
func copyResponse(r *authenticator.Response) *authenticator.Response {
	out := *r
	out.Audiences = slices.Clone(r.Audiences)
	if r.User != nil {
		extra := maps.Clone(r.User.GetExtra())
		for k, vs := range extra {
			extra[k] = slices.Clone(vs)
		}
		out.User = &user.DefaultInfo{Name: r.User.GetName(), UID: r.User.GetUID(),
			Groups: slices.Clone(r.User.GetGroups()), Extra: extra}
	}
	return &out
}
