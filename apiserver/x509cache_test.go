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
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
)

// The users of verified chains are given again without verifying, while
// the chain is valid; failures and expired chains are verified every time;
// what a caller does to a response does not change the next one.
func TestVerifiedChains(t *testing.T) {
	ca, err := newClientCA()
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	var fail error
	verify := authenticator.RequestFunc(func(*http.Request) (*authenticator.Response, bool, error) {
		calls++
		if fail != nil {
			return nil, false, fail
		}
		return &authenticator.Response{User: &user.DefaultInfo{Name: "alice", Groups: []string{"debuggers"},
			Extra: map[string][]string{"k": {"v"}}}}, true, nil
	})
	v := newVerifiedChains(verify, ca)
	request := func(notAfter time.Time, raw byte) *http.Request {
		return &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{
			{Raw: []byte{raw}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}}}}
	}
	valid := time.Now().Add(time.Hour)

	for i := 0; i < 3; i++ {
		resp, ok, err := v.AuthenticateRequest(request(valid, 1))
		if !ok || err != nil || resp.User.GetName() != "alice" || len(resp.User.GetGroups()) != 1 || resp.User.GetExtra()["k"][0] != "v" {
			t.Fatalf("request %d: %+v %v %v", i, resp, ok, err)
		}
		// A later filter's change stays its own.
		resp.User.(*user.DefaultInfo).Groups = append(resp.User.GetGroups(), "system:authenticated")
		resp.User.GetExtra()["k"][0] = "changed"
	}
	if calls != 1 {
		t.Errorf("a valid chain was verified %d times in 3 requests, want 1", calls)
	}

	calls = 0
	v.AuthenticateRequest(request(time.Now().Add(-time.Minute), 2))
	v.AuthenticateRequest(request(time.Now().Add(-time.Minute), 2))
	if calls != 2 {
		t.Errorf("an expired chain was verified %d times in 2 requests, want 2", calls)
	}

	calls = 0
	fail = errors.New("verifying certificate failed")
	for i := 0; i < 2; i++ {
		if _, ok, err := v.AuthenticateRequest(request(valid, 3)); ok || err != fail {
			t.Errorf("a failing chain: %v %v", ok, err)
		}
	}
	if calls != 2 {
		t.Errorf("a failing chain was verified %d times in 2 requests, want 2", calls)
	}
	// Another chain is another key.
	calls = 0
	fail = nil
	v.AuthenticateRequest(request(valid, 4))
	if calls != 1 {
		t.Errorf("a new chain was not verified")
	}
}
