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

package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// The admission scenarios call webhooks served by the suite itself: one TLS
// server on loopback, reachable from Ephemera in-process and from envtest's
// kube-apiserver (a local process). Each scenario registers hooks under a
// path of its own; a hook answers as its scenario says and records the
// AdmissionReviews it receives, which the scenario then records as
// observations, so differential mode compares what each server sent.

// webhookServer is the suite's webhook server, started on first use.
type webhookServer struct {
	url   string // https://127.0.0.1:port
	caPEM []byte

	mu    sync.Mutex
	hooks map[string]*Hook // by path
	// probes counts the probe requests (see probeLabel) per namespace.
	probes map[string]int
}

var (
	webhooksOnce sync.Once
	webhooks     *webhookServer
	webhooksErr  error
)

// suiteWebhookServer returns the running server, starting it if needed.
func suiteWebhookServer() (*webhookServer, error) {
	webhooksOnce.Do(func() { webhooks, webhooksErr = startWebhookServer() })
	return webhooks, webhooksErr
}

// Answer is what a hook replies. The zero value allows the request.
type Answer struct {
	Deny bool
	// Status, if set, is the response's status (code, message, reason).
	Status *Status
	// Patch is a JSON patch (mutating webhooks).
	Patch []map[string]any
	// Warnings are returned to the client.
	Warnings []string
	// Delay makes the hook answer late (timeouts).
	Delay time.Duration
}

// Status is the status part of an AdmissionResponse.
type Status struct {
	Code    int32  `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Hook is one webhook endpoint of a scenario.
type Hook struct {
	URL    string
	answer func(req map[string]any) Answer
	// reviews are the AdmissionReviews received, as sent.
	reviews [][]byte
}

// probeLabel marks the objects of the dry-run requests that find out whether
// a new admission configuration is in effect yet (see F.WaitForWebhook).
// Every hook allows them without recording them.
const probeLabel = "conformance.ephemera.dev/probe"

// probeUserAgent is the user agent of those probe requests.
const probeUserAgent = "ephemera-conformance-probe/v0.0.0 (linux/amd64) ephemera/conformance"

func startWebhookServer() (*webhookServer, error) {
	caPEM, cert, err := webhookCerts()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &webhookServer{url: "https://" + l.Addr().String(), caPEM: caPEM, hooks: map[string]*Hook{}, probes: map[string]int{}}
	srv := &http.Server{Handler: s, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	return s, nil
}

// webhookCerts makes a CA and a serving certificate for 127.0.0.1 it signed.
func webhookCerts() ([]byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ephemera-conformance-webhook-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ephemera-conformance-webhook"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// register adds a hook at path.
func (s *webhookServer) register(path string, answer func(req map[string]any) Answer) *Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &Hook{URL: s.url + path, answer: answer}
	s.hooks[path] = h
	return h
}

func (s *webhookServer) unregister(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.hooks {
		if strings.HasPrefix(p, prefix) {
			delete(s.hooks, p)
		}
	}
}

func (s *webhookServer) probeCount(ns string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.probes[ns]
}

// ServeHTTP answers an AdmissionReview (v1 or v1beta1, which share their
// JSON shape) with the same apiVersion.
func (s *webhookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var review struct {
		APIVersion string         `json:"apiVersion"`
		Request    map[string]any `json:"request"`
	}
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	h := s.hooks[r.URL.Path]
	probe := isProbe(review.Request)
	if probe {
		ns, _ := review.Request["namespace"].(string)
		s.probes[ns]++
	} else if h != nil {
		h.reviews = append(h.reviews, body)
	}
	s.mu.Unlock()

	answer := Answer{}
	if h == nil && !probe {
		answer = Answer{Deny: true, Status: &Status{Message: "no hook at " + r.URL.Path}}
	} else if !probe && h.answer != nil {
		answer = h.answer(review.Request)
	}
	if answer.Delay > 0 {
		select {
		case <-time.After(answer.Delay):
		case <-r.Context().Done():
			return
		}
	}
	resp := map[string]any{"uid": review.Request["uid"], "allowed": !answer.Deny}
	if answer.Status != nil {
		resp["status"] = answer.Status
	}
	if answer.Patch != nil {
		raw, _ := json.Marshal(answer.Patch)
		resp["patchType"] = string(admissionv1.PatchTypeJSONPatch)
		resp["patch"] = raw // []byte marshals as base64, as the API wants
	}
	if len(answer.Warnings) > 0 {
		resp["warnings"] = answer.Warnings
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": review.APIVersion, "kind": "AdmissionReview", "response": resp})
}

// isProbe says whether the request's object carries the probe label.
func isProbe(req map[string]any) bool {
	obj, _ := req["object"].(map[string]any)
	meta, _ := obj["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	_, ok := labels[probeLabel]
	return ok
}

// Reviews returns the AdmissionReviews the hook received so far.
func (h *Hook) Reviews() [][]byte {
	webhooks.mu.Lock()
	defer webhooks.mu.Unlock()
	return append([][]byte(nil), h.reviews...)
}

// x509FingerprintRE matches the credential ID kube-apiserver derives from a
// client certificate (user.extra authentication.kubernetes.io/credential-id):
// a hash of a certificate made for this run.
var x509FingerprintRE = regexp.MustCompile(`X509SHA256=[0-9a-f]{64}`)

// RecordReviews records the AdmissionReviews h received as observations,
// one per review, in arrival order. Volatile values (request and object
// UIDs, resourceVersions, timestamps, the namespace, certificate
// fingerprints) are normalized like every observation.
func (f *F) RecordReviews(what string, h *Hook) {
	reviews := h.Reviews()
	f.Note(what+": reviews received", len(reviews))
	for i, raw := range reviews {
		var v any
		_ = json.Unmarshal([]byte(x509FingerprintRE.ReplaceAllString(string(raw), "X509SHA256=<fingerprint>")), &v)
		f.Note(fmt.Sprintf("%s: review %d", what, i+1), v)
	}
}

var (
	downOnce sync.Once
	down     int
)

// downPort returns a loopback port nothing listens on (a webhook that is
// down), the same one for the whole run so that messages naming it compare
// equal between targets.
func downPort() int {
	downOnce.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			down = 1
			return
		}
		down = l.Addr().(*net.TCPAddr).Port
		l.Close()
	})
	return down
}

var (
	otherCAOnce sync.Once
	otherCAPEM  []byte
)

// otherCA is a CA that did not sign the webhook server's certificate.
func otherCA() []byte {
	otherCAOnce.Do(func() { otherCAPEM, _, _ = webhookCerts() })
	return otherCAPEM
}
