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
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// Users: every target hands out client certificates for a user name and
// groups, so a scenario acts as that user exactly as a real client would:
//
//   - ephemera: apiserver.Environment.AddUser (signed by the server's client CA);
//   - envtest: envtest.Environment.AddUser (its client CA, --client-ca-file);
//   - a kubeconfig target (kind): a CertificateSigningRequest for the signer
//     kubernetes.io/kube-apiserver-client, approved by the admin and signed by
//     the cluster's kube-controller-manager.
//
// Impersonation (--as) would be simpler for a kubeconfig target but is not
// the same identity: an impersonated user has no
// authentication.kubernetes.io/credential-id extra, and requests carry the
// admin's identity into audit and impersonation checks. Certificates give
// identical answers on every target.

// userProvider is implemented by targets that issue user credentials.
type userProvider interface {
	userConfig(ctx context.Context, admin *rest.Config, name string, groups []string) (*rest.Config, error)
}

func (t *EphemeraTarget) userConfig(_ context.Context, admin *rest.Config, name string, groups []string) (*rest.Config, error) {
	u, err := t.env.AddUser(apiserver.User{Name: name, Groups: groups}, admin)
	if err != nil {
		return nil, err
	}
	return u.Config(), nil
}

func (t *EnvtestTarget) userConfig(_ context.Context, admin *rest.Config, name string, groups []string) (*rest.Config, error) {
	u, err := t.env.AddUser(envtest.User{Name: name, Groups: groups}, admin)
	if err != nil {
		return nil, err
	}
	cfg := u.Config()
	// envtest's user config keeps the base config's credentials beside the
	// certificate; only the certificate may speak.
	cfg.BearerToken, cfg.Username, cfg.Password = "", "", ""
	return cfg, nil
}

func (t *KubeconfigTarget) userConfig(ctx context.Context, admin *rest.Config, name string, groups []string) (*rest.Config, error) {
	return csrUserConfig(ctx, admin, name, groups)
}

// csrUserConfig obtains a client certificate through the
// CertificateSigningRequest API: created and approved by the admin, signed
// by the cluster's signer for kubernetes.io/kube-apiserver-client.
func csrUserConfig(ctx context.Context, admin *rest.Config, name string, groups []string) (*rest.Config, error) {
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name, Organization: groups}}, key)
	if err != nil {
		return nil, err
	}
	csr := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "ephemera-conformance-" + utilrand.String(8)},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}),
			SignerName: certificatesv1.KubeAPIServerClientSignerName,
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature},
		},
	}
	csr, err = cs.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	defer cs.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), csr.Name, metav1.DeleteOptions{})
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: "True", Reason: "EphemeraConformance", Message: "a conformance scenario's user",
	})
	if _, err := cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	var certPEM []byte
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, csr.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		certPEM = got.Status.Certificate
		return len(certPEM) > 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the cluster to sign the certificate of %s: %w", name, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	cfg := rest.AnonymousClientConfig(admin)
	cfg.CertData = certPEM
	cfg.KeyData = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return cfg, nil
}

var userConfigs sync.Map // target name + user + groups -> *rest.Config

// As returns a fixture acting as the user name in groups on the same target,
// namespace and observation record. Credentials are issued once per target
// and user, and reused by later scenarios.
func (f *F) As(name string, groups ...string) *F {
	GinkgoHelper()
	key := fmt.Sprintf("%s|%s|%q", f.Target.Name(), name, groups)
	var cfg *rest.Config
	if c, ok := userConfigs.Load(key); ok {
		cfg = c.(*rest.Config)
	} else {
		t := f.Target
		if r, ok := t.(renamedTarget); ok {
			t = r.Target
		}
		p, ok := t.(userProvider)
		Expect(ok).To(BeTrue(), "target %s cannot issue user credentials", f.Target.Name())
		var err error
		cfg, err = p.userConfig(f.Ctx, f.Config, name, groups)
		Expect(err).NotTo(HaveOccurred(), "credentials for user %s on %s", name, f.Target.Name())
		cfg.QPS, cfg.Burst, cfg.UserAgent = f.Config.QPS, f.Config.Burst, f.Config.UserAgent
		userConfigs.Store(key, cfg)
	}
	return f.withConfig(cfg)
}

// Anonymous returns a fixture that sends no credentials.
func (f *F) Anonymous() *F {
	GinkgoHelper()
	cfg := rest.AnonymousClientConfig(f.Config)
	cfg.QPS, cfg.Burst, cfg.UserAgent = f.Config.QPS, f.Config.Burst, f.Config.UserAgent
	return f.withConfig(cfg)
}

func (f *F) withConfig(cfg *rest.Config) *F {
	GinkgoHelper()
	u := &F{Ctx: f.Ctx, Target: f.Target, Config: cfg, NS: f.NS, rec: f.rec}
	var err error
	u.HTTP, err = rest.HTTPClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	u.Client, err = kubernetes.NewForConfigAndClient(cfg, u.HTTP)
	Expect(err).NotTo(HaveOccurred())
	return u
}

// WaitCan waits until the fixture's user may (want true) or may not do what
// ra describes, asking with SelfSubjectAccessReviews that are not recorded.
// RBAC changes reach kube-apiserver's authorizer through informers, a moment
// after they are stored; Ephemera's follows storage the same way.
func (f *F) WaitCan(want bool, ra authorizationv1.ResourceAttributes) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		r, err := f.Client.AuthorizationV1().SelfSubjectAccessReviews().Create(f.Ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra},
		}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Status.Allowed).To(Equal(want), "%+v", ra)
	}).WithTimeout(30 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
}

// Impersonating returns a fixture whose requests carry the Impersonate-*
// headers of ic, as kubectl --as/--as-group/--as-uid sends them.
func (f *F) Impersonating(ic rest.ImpersonationConfig) *F {
	GinkgoHelper()
	cfg := rest.CopyConfig(f.Config)
	cfg.Impersonate = ic
	return f.withConfig(cfg)
}
