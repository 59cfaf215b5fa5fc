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

package ephemeratest_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/ephemera-dev/ephemera/ephemeratest"
)

// denyDebugging is a kubebuilder-style configuration: a service reference
// with a path, which WithWebhooks turns into a URL on the local serving
// port.
var denyDebugging = &admissionregistrationv1.ValidatingWebhookConfiguration{
	ObjectMeta: metav1.ObjectMeta{Name: "deny-debugging"},
	Webhooks: []admissionregistrationv1.ValidatingWebhook{{
		Name:                    "nodebug.example.com",
		AdmissionReviewVersions: []string{"v1"},
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
		ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
			Namespace: "system", Name: "webhook-service", Path: ptr.To("/validate-debug")}},
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/ephemeralcontainers"}},
		}},
	}},
}

// serveDenyingWebhook serves /validate-debug where the install options say,
// with their certificate, refusing every request.
func serveDenyingWebhook(t *testing.T, srv *ephemeratest.Server) {
	t.Helper()
	o := srv.Env.WebhookInstallOptions
	cert, err := tls.LoadX509KeyPair(filepath.Join(o.LocalServingCertDir, "tls.crt"), filepath.Join(o.LocalServingCertDir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", net.JoinHostPort(o.LocalServingHost, strconv.Itoa(o.LocalServingPort)), &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/validate-debug", func(w http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: false,
			Result: &metav1.Status{Code: http.StatusForbidden, Message: "no debugging"}}
		review.Request = nil
		_ = json.NewEncoder(w).Encode(review)
	})
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
}

const wantDenied = `admission webhook "nodebug.example.com" denied the request: no debugging`

// A webhook installed by WithWebhooks (typed) or WithWebhookPaths (a
// kubebuilder manifest with a Service beside it) applies to the first
// request after Start, and the caller's object is left as it was.
func TestWithWebhooks(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifests.yaml")
	b, err := json.Marshal(denyDebugging)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",` + string(b[1:])
	if err := os.WriteFile(manifest, []byte(doc+"\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: webhook-service\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, opt := range map[string]ephemeratest.Option{
		"WithWebhooks":     ephemeratest.WithWebhooks(denyDebugging),
		"WithWebhookPaths": ephemeratest.WithWebhookPaths(manifest),
	} {
		t.Run(name, func(t *testing.T) {
			srv := ephemeratest.Start(t, ephemeratest.WithObjects(web), opt)
			serveDenyingWebhook(t, srv)
			_, err := srv.Clientset.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType,
				[]byte(debugPatch), metav1.PatchOptions{}, "ephemeralcontainers")
			if err == nil || err.Error() != wantDenied {
				t.Fatalf("got %v, want %s", err, wantDenied)
			}
			installed, err := srv.Clientset.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "deny-debugging", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cc := installed.Webhooks[0].ClientConfig
			o := srv.Env.WebhookInstallOptions
			// envtest writes "https://<host:port>/" followed by the
			// service path (pkg/envtest/webhook.go updateClientConfig),
			// hence the double slash.
			if want := fmt.Sprintf("https://%s//validate-debug", net.JoinHostPort(o.LocalServingHost, strconv.Itoa(o.LocalServingPort))); cc.Service != nil || cc.URL == nil || *cc.URL != want ||
				string(cc.CABundle) != string(o.LocalServingCAData) {
				t.Errorf("installed client config: url %v service %v, want %s with the serving CA", ptr.Deref(cc.URL, ""), cc.Service, want)
			}
		})
	}
	if denyDebugging.Webhooks[0].ClientConfig.Service == nil || denyDebugging.Webhooks[0].ClientConfig.CABundle != nil {
		t.Errorf("WithWebhooks changed the caller's object: %+v", denyDebugging.Webhooks[0].ClientConfig)
	}
}

// fatalTB stops Start at its first Fatalf and keeps the message.
type fatalTB struct {
	*testing.T
	msg string
}

type fatal struct{}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatal{})
}

// Anything but a webhook configuration is refused with the object named,
// before a server starts.
func TestWithWebhooksRefusesOtherObjects(t *testing.T) {
	for _, tc := range []struct {
		opt  ephemeratest.Option
		want string
	}{
		{ephemeratest.WithWebhooks(web), `ephemeratest: WithWebhooks: *v1.Pod "web" is not a MutatingWebhookConfiguration or ValidatingWebhookConfiguration`},
	} {
		tb := &fatalTB{T: t}
		func() {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(fatal); !ok {
						panic(r)
					}
				}
			}()
			ephemeratest.Start(tb, tc.opt)
		}()
		if tb.msg != tc.want {
			t.Errorf("got %q\nwant %q", tb.msg, tc.want)
		}
	}
	objs, err := ephemeratest.ReadManifests(writeFile(t, "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: old\n"))
	if err != nil {
		t.Fatal(err)
	}
	tb := &fatalTB{T: t}
	func() {
		defer func() { _ = recover() }()
		ephemeratest.Start(tb, ephemeratest.WithWebhooks(objs...))
	}()
	if want := "admissionregistration.k8s.io/v1beta1, Kind=ValidatingWebhookConfiguration \"old\" is not a MutatingWebhookConfiguration or ValidatingWebhookConfiguration of admissionregistration.k8s.io/v1"; !strings.Contains(tb.msg, want) {
		t.Errorf("got %q, want it to contain %q", tb.msg, want)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
