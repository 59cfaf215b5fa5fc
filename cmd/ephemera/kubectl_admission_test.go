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

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephemera-dev/ephemera/internal/referencetest"
	"github.com/go-logr/logr"
	"github.com/pmezard/go-difflib/difflib"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestKubectlDebugBlockedByAdmission runs kubectl debug v1.37.2 against
// `ephemera serve` and against envtest's kube-apiserver while a validating
// webhook, then a ValidatingAdmissionPolicy, refuses ephemeral containers,
// and requires the same output and exit codes from both.
func TestKubectlDebugBlockedByAdmission(t *testing.T) {
	assets := referencetest.Assets(t, "kubectl", "kube-apiserver", "etcd")
	kubectl := filepath.Join(assets, "kubectl")
	ctrllog.SetLogger(logr.Discard())
	url, ca := startDenyingWebhook(t)
	manifests := admissionManifests(t, url, ca)

	run := func(kubeconfig string) string {
		var out strings.Builder
		step := func(args ...string) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
			cmd.Dir = manifests
			cmd.Env = append(os.Environ(), "KUBECACHEDIR="+t.TempDir(), "HOME="+t.TempDir())
			b, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("kubectl %v: %v", args, err)
			}
			fmt.Fprintf(&out, "$ kubectl %s\n%s[exit %d]\n", strings.Join(args, " "), normalize(string(b)), code)
		}
		step("api-resources", "--api-group=admissionregistration.k8s.io", "-o", "wide")
		step("explain", "validatingadmissionpolicy.spec.validations.messageExpression")
		step("apply", "-f", "web.yaml")
		step("apply", "-f", "webhook.yaml")
		step("get", "validatingwebhookconfigurations")
		step("get", "validatingwebhookconfiguration", "no-debugging", "-o", "yaml")
		waitUntilRefused(t, kubeconfig, "no debug containers")
		step("debug", "web", "--image=busybox:1.36", "-c", "dbg", "--attach=false")
		step("delete", "validatingwebhookconfiguration", "no-debugging")
		step("apply", "-f", "policy.yaml")
		waitUntilRefused(t, kubeconfig, "ValidatingAdmissionPolicy 'no-privileged-debugging'")
		waitUntilAllowed(t, kubeconfig) // the webhook's deletion too
		step("get", "validatingadmissionpolicies,validatingadmissionpolicybindings")
		step("get", "validatingadmissionpolicy", "no-privileged-debugging", "-o", "yaml")
		step("debug", "web", "--image=busybox:1.36", "-c", "root", "--profile=sysadmin", "--attach=false")
		step("debug", "web", "--image=busybox:1.36", "-c", "dbg", "--attach=false")
		step("get", "pod", "web", "-o", "jsonpath={range .spec.ephemeralContainers[*]}{.name}{\"\\n\"}{end}")
		return out.String()
	}
	got := run(startEphemeraServe(t))
	want := run(startEnvtest(t, assets))
	if got != want {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(want), B: difflib.SplitLines(got),
			FromFile: "envtest (kube-apiserver v1.37.2)", ToFile: "ephemera", Context: 3,
		})
		t.Fatalf("kubectl output differs:\n%s", diff)
	}
	for _, refusal := range []string{`admission webhook "nodebug.example.com" denied the request: no debug containers in this namespace`,
		`ValidatingAdmissionPolicy 'no-privileged-debugging' with binding 'no-privileged-debugging' denied request: privileged debug containers are not allowed`} {
		if !strings.Contains(got, refusal) {
			t.Errorf("kubectl output does not show %q:\n%s", refusal, got)
		}
	}
	t.Logf("kubectl session:\n%s", got)
}

// startDenyingWebhook serves a webhook on loopback that refuses every
// request; it returns the webhook's URL and CA.
func startDenyingWebhook(t *testing.T) (string, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nodebug"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var review struct {
			Request struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		_ = json.Unmarshal(body, &review)
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
			"response": map[string]any{"uid": review.Request.UID, "allowed": false,
				"status": map[string]any{"code": 403, "reason": "Forbidden", "message": "no debug containers in this namespace"}}})
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return "https://" + l.Addr().String() + "/nodebug", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// admissionManifests writes web.yaml, webhook.yaml and policy.yaml to a new
// directory and returns it.
func admissionManifests(t *testing.T, url string, ca []byte) string {
	t.Helper()
	dir := t.TempDir()
	web, err := os.ReadFile(filepath.Join("testdata", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"web.yaml": string(web),
		"webhook.yaml": `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: no-debugging
webhooks:
- name: nodebug.example.com
  admissionReviewVersions: ["v1"]
  sideEffects: None
  clientConfig:
    url: ` + url + `
    caBundle: ` + base64.StdEncoding.EncodeToString(ca) + `
  rules:
  - operations: ["UPDATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods/ephemeralcontainers"]
`,
		"policy.yaml": `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: no-privileged-debugging
spec:
  matchConstraints:
    resourceRules:
    - operations: ["UPDATE"]
      apiGroups: [""]
      apiVersions: ["v1"]
      resources: ["pods/ephemeralcontainers"]
  validations:
  - expression: >-
      object.spec.ephemeralContainers.all(c, !has(c.securityContext) ||
      !has(c.securityContext.privileged) || !c.securityContext.privileged)
    message: privileged debug containers are not allowed
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: no-privileged-debugging
spec:
  policyName: no-privileged-debugging
  validationActions: ["Deny"]
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// waitUntilRefused dry-runs adding a privileged ephemeral container to pod
// web until the refusal mentions want: kube-apiserver applies a new
// configuration once its informers have it (policies up to a second later),
// and kubectl apply does not wait for that.
func waitUntilRefused(t *testing.T, kubeconfig, want string) {
	t.Helper()
	waitForDryRun(t, kubeconfig, true, func(err error) bool { return err != nil && strings.Contains(err.Error(), want) })
}

// waitUntilAllowed dry-runs adding an unprivileged ephemeral container
// until it is allowed.
func waitUntilAllowed(t *testing.T, kubeconfig string) {
	t.Helper()
	waitForDryRun(t, kubeconfig, false, func(err error) bool { return err == nil })
}

func waitForDryRun(t *testing.T, kubeconfig string, privileged bool, done func(error) bool) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	patch := []byte(fmt.Sprintf(`{"spec":{"ephemeralContainers":[{"name":"probe","image":"busybox:1.36","securityContext":{"privileged":%t}}]}}`, privileged))
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, last = cs.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType, patch,
			metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}, "ephemeralcontainers")
		if done(last) {
			return
		}
	}
	t.Fatalf("the admission configuration did not take effect within 20s (last answer: %v)", last)
}
