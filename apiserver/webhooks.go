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
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// WebhookInstallOptions installs webhook configurations into an
// Environment and prepares what a test's webhook server needs, with the
// fields and methods of controller-runtime's envtest.WebhookInstallOptions
// (pkg/envtest/webhook.go), so a webhook test moves from envtest to
// Ephemera by changing the type:
//
//	env := &apiserver.Environment{WebhookInstallOptions: apiserver.WebhookInstallOptions{
//		Paths: []string{filepath.Join("config", "webhook")},
//	}}
//	cfg, err := env.Start()
//	o := &env.WebhookInstallOptions // serve on o.LocalServingHost, o.LocalServingPort with o.LocalServingCertDir
//
// On Start the options pick a free local port, write a serving certificate
// and key (tls.crt, tls.key, for "localhost" and the serving host) to a
// temporary directory, signed by a CA made for the purpose, and rewrite the
// webhooks: the CA becomes their caBundle and a service reference with a
// path becomes the URL https://<host>:<port>/<path>, as envtest does. The
// configurations are then created (or updated) and Start returns once the
// server's admission plugins see them, so the first request is already
// subject to them (envtest only waits until they can be read back).
//
// Unlike envtest, nothing is prepared when no webhook configuration is given
// and no LocalServing field is set: the serving certificate is only made when
// something will use it.
type WebhookInstallOptions struct {
	// Paths are files or directories with webhook configurations (YAML or
	// JSON, admissionregistration.k8s.io/v1; other documents are skipped).
	Paths []string
	// MutatingWebhooks and ValidatingWebhooks are configurations to install.
	MutatingWebhooks   []*admissionregistrationv1.MutatingWebhookConfiguration
	ValidatingWebhooks []*admissionregistrationv1.ValidatingWebhookConfiguration
	// IgnoreSchemeConvertible is accepted for compatibility with envtest,
	// where it concerns CRD conversion webhooks; Ephemera serves no CRDs.
	IgnoreSchemeConvertible bool
	// IgnoreErrorIfPathMissing skips missing Paths instead of failing.
	IgnoreErrorIfPathMissing bool

	// LocalServingHost is the host the test serves webhooks on; default
	// localhost, resolved to its address.
	LocalServingHost string
	// LocalServingPort is the port to serve on; default a free one.
	LocalServingPort int
	// LocalServingCertDir holds tls.crt and tls.key; set by Start.
	LocalServingCertDir string
	// LocalServingCAData is the PEM CA that signed the serving certificate;
	// it is the caBundle of the installed webhooks.
	LocalServingCAData []byte
	// LocalServingHostExternalName, if set, is the host in webhook URLs.
	LocalServingHostExternalName string

	// MaxTime bounds the wait for the installed configurations; default 10s.
	MaxTime time.Duration
	// PollInterval is the interval of that wait when it has to poll (Install
	// without an Environment); default 100ms.
	PollInterval time.Duration
}

// wanted says whether Start should prepare and install anything.
func (o *WebhookInstallOptions) wanted() bool {
	return len(o.Paths) > 0 || len(o.MutatingWebhooks) > 0 || len(o.ValidatingWebhooks) > 0 ||
		o.LocalServingHost != "" || o.LocalServingPort != 0 || o.LocalServingHostExternalName != ""
}

// PrepWithoutInstalling picks the host and port, makes the serving
// certificate, reads Paths and rewrites the webhooks, without installing
// anything.
func (o *WebhookInstallOptions) PrepWithoutInstalling() error {
	if err := o.setupCA(); err != nil {
		return err
	}
	if err := o.readPaths(); err != nil {
		return err
	}
	return o.ModifyWebhookDefinitions()
}

// ModifyWebhookDefinitions sets each webhook's caBundle to
// LocalServingCAData and turns a service reference with a path into a URL
// on the local serving host and port.
func (o *WebhookInstallOptions) ModifyWebhookDefinitions() error {
	hostPort, err := o.hostPort()
	if err != nil {
		return err
	}
	for _, c := range o.MutatingWebhooks {
		for i := range c.Webhooks {
			o.localClientConfig(&c.Webhooks[i].ClientConfig, hostPort)
		}
	}
	for _, c := range o.ValidatingWebhooks {
		for i := range c.Webhooks {
			o.localClientConfig(&c.Webhooks[i].ClientConfig, hostPort)
		}
	}
	return nil
}

// localClientConfig is envtest's updateClientConfig: the URL is written as
// envtest writes it, "https://<host:port>/" followed by the service path.
func (o *WebhookInstallOptions) localClientConfig(cc *admissionregistrationv1.WebhookClientConfig, hostPort string) {
	cc.CABundle = o.LocalServingCAData
	if cc.Service != nil && cc.Service.Path != nil {
		url := fmt.Sprintf("https://%s/%s", hostPort, *cc.Service.Path)
		cc.URL, cc.Service = &url, nil
	}
}

// hostPort picks a free port on the serving host unless one is set.
func (o *WebhookInstallOptions) hostPort() (string, error) {
	if o.LocalServingPort == 0 {
		host := o.LocalServingHost
		if host == "" {
			host = "localhost"
		}
		addr, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", fmt.Errorf("unable to grab random port for serving webhooks on: %w", err)
		}
		l, err := net.ListenTCP("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("unable to grab random port for serving webhooks on: %w", err)
		}
		o.LocalServingPort = l.Addr().(*net.TCPAddr).Port
		o.LocalServingHost = addr.IP.String()
		if err := l.Close(); err != nil {
			return "", err
		}
	}
	host := o.LocalServingHostExternalName
	if host == "" {
		host = o.LocalServingHost
	}
	return net.JoinHostPort(host, strconv.Itoa(o.LocalServingPort)), nil
}

// setupCA makes a CA and a serving certificate for localhost and the
// serving hosts, and writes the certificate and key to a new temporary
// directory.
func (o *WebhookInstallOptions) setupCA() error {
	if _, err := o.hostPort(); err != nil {
		return err
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "ephemera-webhook-ca", Organization: []string{"ephemera"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost", Organization: []string{"ephemera"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range []string{"localhost", o.LocalServingHost, o.LocalServingHostExternalName} {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ephemera-serving-certs-")
	if err != nil {
		return fmt.Errorf("unable to create directory for webhook serving certs: %w", err)
	}
	o.LocalServingCertDir = dir
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o640); err != nil {
		return fmt.Errorf("unable to write webhook serving cert to disk: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("unable to write webhook serving key to disk: %w", err)
	}
	o.LocalServingCAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return nil
}

// readPaths adds the configurations in Paths to the options.
func (o *WebhookInstallOptions) readPaths() error {
	for _, p := range o.Paths {
		info, err := os.Stat(p)
		if os.IsNotExist(err) && o.IgnoreErrorIfPathMissing {
			continue
		}
		if err != nil {
			return err
		}
		files := []string{p}
		if info.IsDir() {
			entries, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			files = files[:0]
			for _, e := range entries {
				switch filepath.Ext(e.Name()) {
				case ".json", ".yaml", ".yml":
					files = append(files, filepath.Join(p, e.Name()))
				}
			}
		}
		for _, f := range files {
			if err := o.readFile(f); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	return nil
}

// readFile reads the webhook configurations of one YAML or JSON file.
func (o *WebhookInstallOptions) readFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	reader := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var head metav1.PartialObjectMetadata
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return err
		}
		switch head.Kind {
		case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
			if head.APIVersion != admissionregistrationv1.SchemeGroupVersion.String() {
				return fmt.Errorf("only v1 is supported right now for %s (name: %s)", head.Kind, head.Name)
			}
		default:
			continue
		}
		if head.Kind == "MutatingWebhookConfiguration" {
			c := &admissionregistrationv1.MutatingWebhookConfiguration{}
			if err := yaml.Unmarshal(doc, c); err != nil {
				return err
			}
			o.MutatingWebhooks = append(o.MutatingWebhooks, c)
		} else {
			c := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			if err := yaml.Unmarshal(doc, c); err != nil {
				return err
			}
			o.ValidatingWebhooks = append(o.ValidatingWebhooks, c)
		}
	}
}

// Install prepares the options unless that was done, creates (or updates)
// the configurations and waits until the server serves them back.
func (o *WebhookInstallOptions) Install(config *rest.Config) error {
	_, err := o.install(config)
	if err != nil {
		return err
	}
	return o.waitServed(config)
}

// install prepares and writes the configurations and returns what the
// server stored.
func (o *WebhookInstallOptions) install(config *rest.Config) ([]metav1.Object, error) {
	if o.MaxTime == 0 {
		o.MaxTime = 10 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if len(o.LocalServingCAData) == 0 {
		if err := o.PrepWithoutInstalling(); err != nil {
			return nil, err
		}
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	api := client.AdmissionregistrationV1()
	ctx := context.Background()
	var stored []metav1.Object
	for _, c := range o.MutatingWebhooks {
		out, err := api.MutatingWebhookConfigurations().Create(ctx, c, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			var existing *admissionregistrationv1.MutatingWebhookConfiguration
			if existing, err = api.MutatingWebhookConfigurations().Get(ctx, c.Name, metav1.GetOptions{}); err == nil {
				c.ResourceVersion = existing.ResourceVersion
				out, err = api.MutatingWebhookConfigurations().Update(ctx, c, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return nil, fmt.Errorf("installing MutatingWebhookConfiguration %s: %w", c.Name, err)
		}
		stored = append(stored, out)
	}
	for _, c := range o.ValidatingWebhooks {
		out, err := api.ValidatingWebhookConfigurations().Create(ctx, c, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			var existing *admissionregistrationv1.ValidatingWebhookConfiguration
			if existing, err = api.ValidatingWebhookConfigurations().Get(ctx, c.Name, metav1.GetOptions{}); err == nil {
				c.ResourceVersion = existing.ResourceVersion
				out, err = api.ValidatingWebhookConfigurations().Update(ctx, c, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return nil, fmt.Errorf("installing ValidatingWebhookConfiguration %s: %w", c.Name, err)
		}
		stored = append(stored, out)
	}
	return stored, nil
}

// waitServed polls until every configuration can be read back, as
// envtest's WaitForWebhooks does.
func (o *WebhookInstallOptions) waitServed(config *rest.Config) error {
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	api := client.AdmissionregistrationV1()
	return wait.PollUntilContextTimeout(context.Background(), o.PollInterval, o.MaxTime, true, func(ctx context.Context) (bool, error) {
		for _, c := range o.MutatingWebhooks {
			if _, err := api.MutatingWebhookConfigurations().Get(ctx, c.Name, metav1.GetOptions{}); err != nil {
				return false, ignoreNotFound(err)
			}
		}
		for _, c := range o.ValidatingWebhooks {
			if _, err := api.ValidatingWebhookConfigurations().Get(ctx, c.Name, metav1.GetOptions{}); err != nil {
				return false, ignoreNotFound(err)
			}
		}
		return true, nil
	})
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Cleanup removes the serving certificate directory.
func (o *WebhookInstallOptions) Cleanup() error {
	if o.LocalServingCertDir != "" {
		return os.RemoveAll(o.LocalServingCertDir)
	}
	return nil
}

// installWebhooks installs the Environment's webhook configurations into s
// and waits until its admission plugins see them.
func (e *Environment) installWebhooks(s *Server) error {
	o := &e.WebhookInstallOptions
	if !o.wanted() {
		return nil
	}
	stored, err := o.install(s.RESTConfig())
	if err != nil {
		return fmt.Errorf("unable to install webhooks onto control plane: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.MaxTime)
	defer cancel()
	return s.admission.waitForConfigurations(ctx, stored)
}
