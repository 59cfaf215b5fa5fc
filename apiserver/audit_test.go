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
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/requestlog"
)

func startEnv(t *testing.T, env *apiserver.Environment) kubernetes.Interface {
	t.Helper()
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	return kubernetes.NewForConfigOrDie(cfg)
}

var debugPatch = []byte(`{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox"}]}}`)

func createWeb(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	_, err := cs.CoreV1().Pods("default").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRequestLog: with Audit set and no policy, every request is recorded at
// RequestResponse; the filters find the ephemeral-container patch with its
// user, subresource, code, patch body and returned pod.
func TestRequestLog(t *testing.T) {
	env := &apiserver.Environment{Server: apiserver.Config{Audit: &apiserver.AuditConfig{}}}
	cs := startEnv(t, env)
	createWeb(t, cs)
	if _, err := cs.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType, debugPatch, metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		t.Fatal(err)
	}

	log := env.RequestLog()
	patches := log.Requests(requestlog.Verb("patch"), requestlog.Resource("pods/ephemeralcontainers"))
	if len(patches) != 1 {
		t.Fatalf("%d patch events, want 1: %+v", len(patches), log.Events())
	}
	ev := patches[0]
	if ev.User.Username == "" || ev.UserAgent == "" || len(ev.SourceIPs) == 0 {
		t.Errorf("user %+v, user agent %q, source IPs %v", ev.User, ev.UserAgent, ev.SourceIPs)
	}
	if ev.Level != auditv1.LevelRequestResponse || ev.Stage != auditv1.StageResponseComplete {
		t.Errorf("level %s stage %s", ev.Level, ev.Stage)
	}
	if ev.ObjectRef.Namespace != "default" || ev.ObjectRef.Name != "web" || ev.ObjectRef.Subresource != "ephemeralcontainers" || ev.ResponseStatus.Code != 200 {
		t.Errorf("objectRef %+v, code %d", ev.ObjectRef, ev.ResponseStatus.Code)
	}
	if got := string(ev.RequestObject.Raw); got != string(debugPatch) {
		t.Errorf("request object %s, want the patch %s", got, debugPatch)
	}
	// The patch type, which audit events do not carry, is on the
	// recorder's copy.
	if n := len(log.Requests(requestlog.PatchType("strategic"))); n != 1 {
		t.Errorf("%d strategic merge patches, want 1 (annotations %v)", n, ev.Annotations)
	}
	if n := len(log.Requests(requestlog.PatchType("merge", "application/json-patch+json"))); n != 0 {
		t.Errorf("%d merge or JSON patches, want 0", n)
	}
	var pod corev1.Pod
	if err := requestlog.DecodeResponse(ev, &pod); err != nil || len(pod.Spec.EphemeralContainers) != 1 {
		t.Errorf("response object: %v, %+v", err, pod.Spec.EphemeralContainers)
	}
	if n := len(log.Requests(requestlog.Verb("create"), requestlog.Resource("pods"), requestlog.Code(201))); n != 1 {
		t.Errorf("%d pod creations recorded, want 1", n)
	}
	// The default policy omits RequestReceived: one event per request.
	if n := len(log.Events(requestlog.Stage(auditv1.StageRequestReceived))); n != 0 {
		t.Errorf("%d RequestReceived events under the default policy", n)
	}
	log.Reset()
	if n := len(log.Events()); n != 0 {
		t.Errorf("%d events after Reset", n)
	}
}

// TestAuditLogFile: kube-apiserver's options (policy file, log path) write
// the same audit.k8s.io/v1 JSON lines as kube-apiserver, at the policy's
// levels, and the recorder sees the same events.
func TestAuditLogFile(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  verbs: ["get"]
- level: Metadata
`), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := genericoptions.NewAuditOptions()
	opts.PolicyFile = policy
	opts.LogOptions.Path = filepath.Join(dir, "audit.log")
	env := &apiserver.Environment{Server: apiserver.Config{Audit: &apiserver.AuditConfig{Options: opts}}}
	cs := startEnv(t, env)
	createWeb(t, cs)
	if _, err := cs.CoreV1().Pods("default").Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("default").Patch(context.Background(), "web", types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(opts.LogOptions.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fromFile []auditv1.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if ev.Kind != "Event" || ev.APIVersion != "audit.k8s.io/v1" {
			t.Errorf("kind %q apiVersion %q", ev.Kind, ev.APIVersion)
		}
		fromFile = append(fromFile, ev)
	}
	var creates []auditv1.Event
	for _, ev := range fromFile {
		if ev.Verb == "get" && ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" {
			t.Errorf("a get was audited despite level None: %+v", ev)
		}
		if ev.Verb == "create" && ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" {
			creates = append(creates, ev)
		}
	}
	// Metadata level, both stages: RequestReceived and ResponseComplete.
	if len(creates) != 2 || creates[0].Stage != auditv1.StageRequestReceived || creates[1].Stage != auditv1.StageResponseComplete {
		t.Fatalf("pod create events: %+v", creates)
	}
	if creates[1].RequestObject != nil || creates[1].ResponseObject != nil || creates[1].Level != auditv1.LevelMetadata {
		t.Errorf("Metadata level carries objects: %+v", creates[1])
	}
	for _, ev := range fromFile {
		if _, ok := ev.Annotations[requestlog.AnnotationPatchType]; ok {
			t.Errorf("the log file has the recorder's own annotation: %v", ev.Annotations)
		}
	}
	if got := env.RequestLog().Events(); len(got) != len(fromFile) {
		t.Errorf("the recorder has %d events, the log file %d", len(got), len(fromFile))
	}
}

func TestAuditBadPolicy(t *testing.T) {
	env := &apiserver.Environment{Server: apiserver.Config{Audit: &apiserver.AuditConfig{Policy: []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n")}}}
	_, err := env.Start()
	if err == nil {
		_ = env.Stop()
		t.Fatal("a policy with an unknown level was accepted")
	}
	if !strings.Contains(err.Error(), "Loud") {
		t.Errorf("error does not name the bad level: %v", err)
	}
}
