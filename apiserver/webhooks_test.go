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

package apiserver_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// webhookYAML is a configuration as kubebuilder generates them: a service
// reference with a path, which the install options turn into a local URL.
const webhookYAML = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: debug-policy
webhooks:
- name: vdebug.example.com
  admissionReviewVersions: ["v1"]
  sideEffects: None
  clientConfig:
    service:
      name: webhook-service
      namespace: system
      path: /validate-debug
  rules:
  - operations: ["UPDATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods/ephemeralcontainers"]
---
apiVersion: v1
kind: Service
metadata:
  name: ignored
`

// webhookServer serves the webhook the way a controller-runtime webhook
// server would: on the install options' host and port, with their
// certificate. It refuses every request and counts them.
func webhookServer(t *testing.T, host string, port int, certDir string) *int64 {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)), &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var review struct {
			Request struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		_ = json.Unmarshal(body, &review)
		mu.Lock()
		calls++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
			"response": map[string]any{"uid": review.Request.UID, "allowed": false, "status": map[string]any{"code": 403, "message": "no debugging"}}})
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return &calls
}

// addDebugContainer is what kubectl debug does, returning the error.
func addDebugContainer(ctx context.Context, cs kubernetes.Interface, ns string, dryRun bool) error {
	opts := metav1.PatchOptions{}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err := cs.CoreV1().Pods(ns).Patch(ctx, "web", types.StrategicMergePatchType,
		[]byte(`{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox:1.36"}]}}`), opts, "ephemeralcontainers")
	return err
}

func createWebPod(ctx context.Context, t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	_, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

const wantDenied = `admission webhook "vdebug.example.com" denied the request: no debugging`

// TestWebhookInstallOptions installs a webhook from a file the way envtest
// does and serves it with the generated certificate: the first request after
// Start is already refused by it, and the certificate directory is removed
// on Stop.
func TestWebhookInstallOptions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), []byte(webhookYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := &apiserver.Environment{WebhookInstallOptions: apiserver.WebhookInstallOptions{Paths: []string{dir}}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	o := &env.WebhookInstallOptions
	if o.LocalServingHost != "127.0.0.1" || o.LocalServingPort == 0 || o.LocalServingCertDir == "" || len(o.LocalServingCAData) == 0 {
		t.Fatalf("local serving options not set: host %q port %d dir %q", o.LocalServingHost, o.LocalServingPort, o.LocalServingCertDir)
	}
	if got, want := *o.ValidatingWebhooks[0].Webhooks[0].ClientConfig.URL, "https://127.0.0.1:"+strconv.Itoa(o.LocalServingPort)+"//validate-debug"; got != want {
		t.Errorf("webhook URL %q, want envtest's %q", got, want)
	}
	calls := webhookServer(t, o.LocalServingHost, o.LocalServingPort, o.LocalServingCertDir)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	createWebPod(ctx, t, cs)
	if err := addDebugContainer(ctx, cs, "default", false); err == nil || err.Error() != wantDenied {
		t.Fatalf("adding a debug container: %v, want %q", err, wantDenied)
	}
	if *calls != 1 {
		t.Errorf("webhook called %d times, want 1", *calls)
	}
	certDir := o.LocalServingCertDir
	if err := env.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(certDir); !os.IsNotExist(err) {
		t.Errorf("certificate directory %s not removed: %v", certDir, err)
	}
}

// TestWebhookInstallOptionsLikeEnvtest installs the same configuration with
// envtest's own WebhookInstallOptions on a real kube-apiserver and checks
// that the request is refused with the same message, so a test can move
// between the two by changing the type.
func TestWebhookInstallOptionsLikeEnvtest(t *testing.T) {
	assets := referencetest.Assets(t, "kube-apiserver", "etcd")
	ctrllog.SetLogger(logr.Discard())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), []byte(webhookYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets, WebhookInstallOptions: envtest.WebhookInstallOptions{Paths: []string{dir}}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	o := &env.WebhookInstallOptions
	webhookServer(t, o.LocalServingHost, o.LocalServingPort, o.LocalServingCertDir)
	cs := kubernetes.NewForConfigOrDie(rest.CopyConfig(cfg))
	ctx := context.Background()
	createWebPod(ctx, t, cs)
	// envtest returns once the configuration can be read back; its
	// admission plugin may see it a moment later.
	deadline := time.Now().Add(10 * time.Second)
	for addDebugContainer(ctx, cs, "default", true) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := addDebugContainer(ctx, cs, "default", false); err == nil || err.Error() != wantDenied {
		t.Fatalf("adding a debug container on envtest: %v, want %q", err, wantDenied)
	}
}
