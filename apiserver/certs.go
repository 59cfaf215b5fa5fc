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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// servingCerts is a self-signed CA (PEM) and a serving certificate it
// signed, with its key, as SecureServingInfo takes them. ECDSA P-256 keys are used instead of the RSA-2048 keys
// k8s.io/apiserver would generate: generating RSA keys dominates start time
// (about 90-300 ms per key on 2 cores, measured with BenchmarkStartStop)
// while P-256 takes microseconds, and every client Kubernetes ships accepts it.
type servingCerts struct {
	CACert []byte
	// Content is the serving certificate and key, parsed once: static
	// content that the servers only read.
	Content dynamiccertificates.CertKeyContentProvider
}

// servingCertsFor returns the serving certificates of a server bound to
// host, made once per process and host: every server of a process bound to
// the same host serves the same names, so they share one serving CA and
// certificate (an ECDSA key and two signatures less per start). A client
// that trusts one of them trusts the others' certificates, which only say
// that they are a local test server; what a client may do is decided by the
// client CA and admin credentials, which stay each server's own
// (access.go).
func servingCertsFor(host string) (*servingCerts, error) {
	servingCertsMu.Lock()
	defer servingCertsMu.Unlock()
	if c, ok := servingCertsByHost[host]; ok {
		return c, nil
	}
	c, err := newServingCerts(host)
	if err != nil {
		return nil, err
	}
	servingCertsByHost[host] = c
	return c, nil
}

var (
	servingCertsMu     sync.Mutex
	servingCertsByHost = map[string]*servingCerts{}
)

// newServingCerts creates a CA named "ephemera-ca@<unix time>" (the naming
// kube-apiserver uses for its self-signed CAs) and a serving certificate for
// localhost, the loopback addresses and the given extra hosts.
func newServingCerts(extraHosts ...string) (*servingCerts, error) {
	now := time.Now()
	ca, err := newCA("ephemera-ca", now)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "ephemera"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	for _, h := range extraHosts {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	certPEM, keyPEM, err := ca.sign(tmpl, now)
	if err != nil {
		return nil, err
	}
	content, err := dynamiccertificates.NewStaticCertKeyContent("serving-cert", certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &servingCerts{CACert: ca.pem, Content: content}, nil
}

// certificateAuthority is one of the server's CAs: the serving CA, or the
// client CA that signs user certificates.
type certificateAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// Certificates are valid from an hour before they are made (tolerating
// clocks a little behind) for a year.
const (
	validBefore = time.Hour
	validFor    = 365 * 24 * time.Hour
)

// newCA creates a self-signed CA named "<name>@<unix time>".
func newCA(name string, now time.Time) (*certificateAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("%s@%d", name, now.Unix())},
		NotBefore:             now.Add(-validBefore),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &certificateAuthority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// sign issues a certificate for a new key: tmpl gives the subject, names and
// extended key usage; the serial number, validity and key usage are set
// here. It returns the certificate and the key, PEM-encoded.
func (ca *certificateAuthority) sign(tmpl *x509.Certificate, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-validBefore), now.Add(validFor)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}
