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

// Package serviceaccount issues and checks service-account tokens: the
// JWTs kube-apiserver signs for TokenRequest (serviceaccounts/token) and
// accepts as bearer tokens. It mirrors k8s.io/kubernetes/pkg/serviceaccount
// (jwt.go: JWTTokenGenerator, JWTTokenAuthenticator; claims.go: Claims and
// the validator), which lives only in k8s.io/kubernetes, with the same JOSE
// library (gopkg.in/go-jose/go-jose.v2) and k8s.io/apiserver's
// ServiceAccountInfo for the user the token stands for.
package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	jose "gopkg.in/go-jose/go-jose.v2"
	"gopkg.in/go-jose/go-jose.v2/jwt"
	corev1 "k8s.io/api/core/v1"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
)

// Upstream's constants (pkg/serviceaccount/claims.go).
const (
	// WarnOnlyBoundTokenExpirationSeconds is the expiry the kubelet asks
	// for projected tokens: with --service-account-extend-token-expiration
	// (on by default) such tokens bound to a pod live a year and only warn
	// after this long.
	WarnOnlyBoundTokenExpirationSeconds = 60*60 + 7
	// ExpirationExtensionSeconds is that year.
	ExpirationExtensionSeconds = 24 * 365 * 60 * 60
)

// Key is a signing key: ECDSA P-256 (signs ES256; envtest's keys are) or RSA
// (RS256; kubeadm's, hence kind's).
type Key struct {
	private crypto.Signer
	alg     jose.SignatureAlgorithm
	keyID   string
}

var (
	ecdsaKey = sync.OnceValues(func() (*Key, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return newKey(k, jose.ES256)
	})
	rsaKey = sync.OnceValues(func() (*Key, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return newKey(k, jose.RS256)
	})
)

// ECDSAKey returns the process's ECDSA signing key, generated once.
func ECDSAKey() (*Key, error) { return ecdsaKey() }

// RSAKey returns the process's RSA signing key, generated once (2048 bits,
// as kubeadm's sa.key; the generation costs tens of milliseconds, paid by
// the first server that asks).
func RSAKey() (*Key, error) { return rsaKey() }

func newKey(k crypto.Signer, alg jose.SignatureAlgorithm) (*Key, error) {
	id, err := keyIDFromPublicKey(k.Public())
	if err != nil {
		return nil, err
	}
	return &Key{private: k, alg: alg, keyID: id}, nil
}

// keyIDFromPublicKey mirrors jwt.go keyIDFromPublicKey: the base64url
// SHA-256 of the DER public key.
func keyIDFromPublicKey(pub any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("failed to serialize public key to DER format: %v", err)
	}
	sum := crypto.SHA256.New()
	sum.Write(der)
	return base64.RawURLEncoding.EncodeToString(sum.Sum(nil)), nil
}

// Public is the key's public half.
func (k *Key) Public() crypto.PublicKey { return k.private.Public() }

// KeyID is the "kid" of the tokens the key signs.
func (k *Key) KeyID() string { return k.keyID }

// Issuer signs tokens for one issuer (--service-account-issuer).
type Issuer struct {
	iss    string
	key    *Key
	signer jose.Signer
}

// NewIssuer returns an issuer signing with key.
func NewIssuer(iss string, key *Key) (*Issuer, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.alg, Key: &jose.JSONWebKey{
		Algorithm: string(key.alg), Key: key.private, KeyID: key.keyID, Use: "sig",
	}}, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to create signer: %v", err)
	}
	return &Issuer{iss: iss, key: key, signer: signer}, nil
}

// Name is the issuer (the "iss" claim).
func (i *Issuer) Name() string { return i.iss }

// Key is the signing key.
func (i *Issuer) Key() *Key { return i.key }

// privateClaims mirror claims.go privateClaims: what the token is bound to.
type privateClaims struct {
	Kubernetes kubernetes `json:"kubernetes.io,omitempty"`
}

type kubernetes struct {
	Namespace string           `json:"namespace,omitempty"`
	Svcacct   ref              `json:"serviceaccount,omitempty"`
	Pod       *ref             `json:"pod,omitempty"`
	Secret    *ref             `json:"secret,omitempty"`
	Node      *ref             `json:"node,omitempty"`
	WarnAfter *jwt.NumericDate `json:"warnafter,omitempty"`
}

type ref struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Binding is what a token may be bound to: a pod (with its node, as the
// ServiceAccountTokenPodNodeInfo feature does), a secret or a node.
type Binding struct {
	Pod    *corev1.Pod
	Node   *corev1.Node
	Secret *corev1.Secret
}

// Token signs a token for sa, as Claims and GenerateToken do: subject
// system:serviceaccount:<ns>:<name>, the audiences, issued and valid from
// now, expiring after expirationSeconds, with a JTI
// (ServiceAccountTokenJTI, on) and warnafter when warnAfter > 0.
func (i *Issuer) Token(sa *corev1.ServiceAccount, b Binding, expirationSeconds, warnAfter int64, audiences []string) (string, error) {
	now := time.Now()
	sc := &jwt.Claims{
		Subject:   apiserverserviceaccount.MakeUsername(sa.Namespace, sa.Name),
		Audience:  jwt.Audience(audiences),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(time.Duration(expirationSeconds) * time.Second)),
		ID:        uuid.NewString(),
	}
	pc := &privateClaims{Kubernetes: kubernetes{Namespace: sa.Namespace, Svcacct: ref{Name: sa.Name, UID: string(sa.UID)}}}
	switch {
	case b.Pod != nil:
		pc.Kubernetes.Pod = &ref{Name: b.Pod.Name, UID: string(b.Pod.UID)}
		if b.Node != nil {
			pc.Kubernetes.Node = &ref{Name: b.Node.Name, UID: string(b.Node.UID)}
		}
	case b.Secret != nil:
		pc.Kubernetes.Secret = &ref{Name: b.Secret.Name, UID: string(b.Secret.UID)}
	case b.Node != nil:
		pc.Kubernetes.Node = &ref{Name: b.Node.Name, UID: string(b.Node.UID)}
	}
	if warnAfter != 0 {
		pc.Kubernetes.WarnAfter = jwt.NewNumericDate(now.Add(time.Duration(warnAfter) * time.Second))
	}
	return jwt.Signed(i.signer).Claims(pc).Claims(sc).Claims(&jwt.Claims{Issuer: i.iss}).CompactSerialize()
}
