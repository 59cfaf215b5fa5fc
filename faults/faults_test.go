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

package faults_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/requestlog"
)

// server starts an Environment with a fault set and the request log.
type server struct {
	env *apiserver.Environment
	cfg *rest.Config
	cs  kubernetes.Interface
	set *faults.Set
}

func start(t *testing.T) *server {
	t.Helper()
	set := faults.NewSet(1)
	env := &apiserver.Environment{Server: apiserver.Config{Faults: set, Audit: &apiserver.AuditConfig{}}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	s := &server{env: env, cfg: cfg, cs: kubernetes.NewForConfigOrDie(cfg), set: set}
	_, err = s.cs.CoreV1().Pods("default").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// add installs rules aimed at the test's own requests: a rule naming no
// user matches only the admin the test's clients authenticate as. Like
// kube-apiserver, the server's own controllers (system:apiserver) keep
// writing after it is ready (the kubernetes Service, the identity lease,
// kube-system config maps), and a rule for "any create" would fire on them
// first now and then.
func (s *server) add(t *testing.T, rules ...faults.Rule) {
	t.Helper()
	for i := range rules {
		if len(rules[i].Match.Users) == 0 && len(rules[i].Match.Groups) == 0 {
			rules[i].Match.Users = []string{apiserver.AdminUser.Name}
		}
	}
	if err := s.set.Add(rules...); err != nil {
		t.Fatal(err)
	}
}

// raw performs a request and returns the status, headers and body.
func (s *server) raw(t *testing.T, method, path, contentType, body string) (int, http.Header, string) {
	t.Helper()
	c, err := rest.HTTPClientFor(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, s.cfg.Host+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (s *server) resourceVersion(t *testing.T) string {
	t.Helper()
	p, err := s.cs.CoreV1().Pods("default").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p.ResourceVersion
}

// fired asserts the request log recorded exactly n firings of the rule.
func (s *server) fired(t *testing.T, rule string, n int) {
	t.Helper()
	// The audit filter records the final event just after the response.
	var got int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got = len(s.env.RequestLog().Requests(requestlog.Annotation(faults.AnnotationRule, rule)))
		if got >= n || time.Now().After(deadline) {
			break
		}
	}
	if got != n {
		t.Errorf("the request log has %d firings of %s, want %d", got, rule, n)
	}
	if st, _ := s.set.Get(rule); st.Fired != n {
		t.Errorf("rule %s fired %d times, want %d", rule, st.Fired, n)
	}
}

var ecPatch = `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox"}]}}`

const ecPath = "/api/v1/namespaces/default/pods/web/ephemeralcontainers"

func TestConflictOnceThenSuccess(t *testing.T) {
	s := start(t)
	s.add(t, faults.Rule{Name: "conflict-once", Times: 1, Conflict: &faults.ConflictFault{},
		Match: faults.Match{Verbs: []string{"patch"}, Resources: []string{"pods/ephemeralcontainers"}, PatchTypes: []string{"strategic"}}})
	before := s.resourceVersion(t)
	code, _, body := s.raw(t, http.MethodPatch, ecPath, "application/strategic-merge-patch+json", ecPatch)
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"web","kind":"pods"},"code":409}` + "\n"
	if code != http.StatusConflict || body != want {
		t.Fatalf("got %d %s\nwant 409 %s", code, body, want)
	}
	if after := s.resourceVersion(t); after != before {
		t.Errorf("the conflict changed the pod: resourceVersion %s -> %s", before, after)
	}
	// A merge patch does not match the rule; the strategic one now passes.
	if _, err := s.cs.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType, []byte(ecPatch), metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		t.Fatalf("second patch: %v", err)
	}
	s.fired(t, "conflict-once", 1)
	ev := s.env.RequestLog().Requests(requestlog.Annotation(faults.AnnotationRule, "conflict-once"))[0]
	if ev.ResponseStatus.Code != 409 || ev.Annotations[faults.AnnotationKind] != "Conflict" || ev.RequestObject == nil {
		t.Errorf("audit event of the firing: code %d, annotations %v, request object %v", ev.ResponseStatus.Code, ev.Annotations, ev.RequestObject)
	}
}

func TestTooManyRequests(t *testing.T) {
	s := start(t)
	s.add(t, faults.Rule{Name: "throttle", Times: 2, TooManyRequests: &faults.TooManyRequestsFault{},
		Match: faults.Match{Verbs: []string{"get"}, Resources: []string{"pods"}}})
	for i := 0; i < 2; i++ {
		code, h, body := s.raw(t, http.MethodGet, "/api/v1/namespaces/default/pods/web", "", "")
		if code != http.StatusTooManyRequests || body != "Too many requests, please try again later.\n" {
			t.Fatalf("got %d %q", code, body)
		}
		if h.Get("Retry-After") != "1" || h.Get("Content-Type") != "text/plain; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Kubernetes-PF-FlowSchema-UID") == "" || h.Get("X-Kubernetes-PF-PriorityLevel-UID") == "" {
			t.Errorf("headers %v", h)
		}
	}
	// client-go retries a 429 after Retry-After; the third request passes.
	if _, err := s.cs.CoreV1().Pods("default").Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	s.fired(t, "throttle", 2)
}

func TestStorageFailures(t *testing.T) {
	s := start(t)
	s.add(t,
		faults.Rule{Name: "internal", Times: 1, InternalError: &faults.InternalErrorFault{}, Match: faults.Match{Verbs: []string{"get"}}},
		faults.Rule{Name: "unreachable", Times: 1, ServerTimeout: &faults.ServerTimeoutFault{}, Match: faults.Match{Verbs: []string{"create"}}},
	)
	_, err := s.cs.CoreV1().Pods("default").Get(context.Background(), "web", metav1.GetOptions{})
	if !apierrors.IsInternalError(err) || err.Error() != "Internal error occurred: etcdserver: request timed out" {
		t.Errorf("get: %v", err)
	}
	code, h, body := s.raw(t, http.MethodPost, "/api/v1/namespaces/default/pods", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"other"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}`)
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The create operation against pods could not be completed at this time, please try again.","reason":"ServerTimeout","details":{"name":"create","kind":"pods","retryAfterSeconds":2},"code":500}` + "\n"
	if code != 500 || body != want || h.Get("Retry-After") != "2" {
		t.Errorf("create: %d %v %s\nwant %s", code, h, body, want)
	}
	if _, err := s.cs.CoreV1().Pods("default").Get(context.Background(), "other", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the failed create stored the pod: %v", err)
	}
	s.fired(t, "internal", 1)
	s.fired(t, "unreachable", 1)
}

func TestServiceUnavailable(t *testing.T) {
	s := start(t)
	s.add(t, faults.Rule{Name: "down", Times: 1, ServiceUnavailable: &faults.ServiceUnavailableFault{}})
	code, h, body := s.raw(t, http.MethodGet, "/api/v1/namespaces/default/pods", "", "")
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"apiserver is shutting down","reason":"ServiceUnavailable","code":503}` + "\n\n"
	if code != 503 || body != want || h.Get("Retry-After") != "1" || h.Get("Content-Type") != "application/json" {
		t.Errorf("%d %v %q\nwant %q", code, h, body, want)
	}
	s.fired(t, "down", 1)
}

func TestTimeout(t *testing.T) {
	s := start(t)
	s.add(t,
		faults.Rule{Name: "hang-get", Times: 1, Timeout: &faults.TimeoutFault{}, Match: faults.Match{Verbs: []string{"get"}}},
		faults.Rule{Name: "hang-list", Times: 1, Timeout: &faults.TimeoutFault{After: metav1.Duration{Duration: 100 * time.Millisecond}}, Match: faults.Match{Verbs: []string{"list"}}},
	)
	want := `{"metadata":{},"status":"Failure","message":"Timeout: request did not complete within the allotted timeout","reason":"Timeout","details":{},"code":504}` + "\n"
	start := time.Now()
	// The deadline is the request's own (?timeout=), and the server's
	// timeout filter answers.
	code, h, body := s.raw(t, http.MethodGet, "/api/v1/namespaces/default/pods/web?timeout=300ms", "", "")
	if code != 504 || body != want || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("get: %d %v %q", code, h, body)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v, before the deadline", d)
	}
	code, h, body = s.raw(t, http.MethodGet, "/api/v1/namespaces/default/pods", "", "")
	if code != 504 || body != want || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("list: %d %v %q", code, h, body)
	}
	s.fired(t, "hang-get", 1)
	s.fired(t, "hang-list", 1)
}

func TestDelayAndConnectionReset(t *testing.T) {
	s := start(t)
	s.add(t,
		faults.Rule{Name: "slow", Times: 1, Delay: &faults.DelayFault{Duration: metav1.Duration{Duration: 200 * time.Millisecond}}, Match: faults.Match{Verbs: []string{"get"}}},
		faults.Rule{Name: "cut", Times: 1, ConnectionReset: &faults.ConnectionResetFault{}, Match: faults.Match{Verbs: []string{"create"}}},
	)
	start := time.Now()
	if _, err := s.cs.CoreV1().Pods("default").Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("the delayed get took %v", d)
	}
	// A create, not a get: Go's transport retries an idempotent request
	// transparently when a reused connection closes before any response.
	c, _ := rest.HTTPClientFor(s.cfg)
	resp, err := c.Post(s.cfg.Host+"/api/v1/namespaces/default/pods", "application/json",
		strings.NewReader(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"cut"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}`))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the connection was not cut: %d", resp.StatusCode)
	}
	if !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		t.Errorf("client error %v, want EOF or connection reset", err)
	}
	if _, err := s.cs.CoreV1().Pods("default").Get(context.Background(), "cut", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the cut create stored the pod: %v", err)
	}
	s.fired(t, "slow", 1)
	s.fired(t, "cut", 1)
	ev := s.env.RequestLog().Requests(requestlog.Annotation(faults.AnnotationRule, "cut"))[0]
	if ev.Stage != "Panic" {
		t.Errorf("the cut request is audited at stage %s, want Panic", ev.Stage)
	}
}

func TestWatchFaults(t *testing.T) {
	s := start(t)
	s.add(t,
		faults.Rule{Name: "end", Times: 1, WatchEnd: &faults.WatchEndFault{AfterEvents: 1}, Match: faults.Match{Verbs: []string{"watch"}}},
		faults.Rule{Name: "expire", Times: 1, WatchExpired: &faults.WatchExpiredFault{}, Match: faults.Match{Verbs: []string{"watch"}}},
	)
	ctx := context.Background()
	// A watch from resourceVersion 0 starts with the pod as ADDED, then ends.
	w, err := s.cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	var events []watch.EventType
	for ev := range w.ResultChan() {
		events = append(events, ev.Type)
	}
	if len(events) != 1 || events[0] != watch.Added {
		t.Errorf("ended watch delivered %v", events)
	}
	w, err = s.cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := <-w.ResultChan()
	if !ok || ev.Type != watch.Error {
		t.Fatalf("expired watch: %v %+v", ok, ev)
	}
	status := ev.Object.(*metav1.Status)
	if status.Code != 410 || status.Reason != metav1.StatusReasonExpired || status.Message != "The resourceVersion for the provided watch is too old." {
		t.Errorf("expired watch status %+v", status)
	}
	if _, open := <-w.ResultChan(); open {
		t.Error("the expired watch did not end")
	}
	s.fired(t, "end", 1)
	s.fired(t, "expire", 1)
}

func TestAdmissionDenied(t *testing.T) {
	s := start(t)
	s.add(t,
		faults.Rule{Name: "policy", Times: 1, AdmissionDenied: &faults.AdmissionDeniedFault{Policy: "no-debug", Binding: "no-debug-binding", Message: "debugging is not allowed here"},
			Match: faults.Match{Verbs: []string{"patch"}, Resources: []string{"pods/ephemeralcontainers"}}},
		faults.Rule{Name: "webhook", Times: 1, AdmissionDenied: &faults.AdmissionDeniedFault{Webhook: "deny.example.com", Message: "not today"},
			Match: faults.Match{Verbs: []string{"create"}, Names: []string{"blocked"}}},
	)
	before := s.resourceVersion(t)
	code, _, body := s.raw(t, http.MethodPatch, ecPath, "application/strategic-merge-patch+json", ecPatch)
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web\" is forbidden: ValidatingAdmissionPolicy 'no-debug' with binding 'no-debug-binding' denied request: debugging is not allowed here","reason":"Invalid","details":{"name":"web","kind":"pods","causes":[{"message":"ValidatingAdmissionPolicy 'no-debug' with binding 'no-debug-binding' denied request: debugging is not allowed here"}]},"code":422}` + "\n"
	if code != 422 || body != want {
		t.Errorf("policy: %d %s\nwant %s", code, body, want)
	}
	if after := s.resourceVersion(t); after != before {
		t.Errorf("the denied patch changed the pod")
	}
	// Names match the object's name, which a create has in its body.
	_, err := s.cs.CoreV1().Pods("default").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "blocked"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `admission webhook "deny.example.com" denied the request: not today` {
		t.Errorf("webhook: %v", err)
	}
	s.fired(t, "policy", 1)
	s.fired(t, "webhook", 1)
}

// With a seed, probabilistic rules fire on the same requests every run.
func TestSeededProbability(t *testing.T) {
	pattern := func() string {
		s := start(t)
		s.add(t, faults.Rule{Name: "flaky", Probability: 0.5, ServiceUnavailable: &faults.ServiceUnavailableFault{},
			Match: faults.Match{Verbs: []string{"list"}, Resources: []string{"pods"}}})
		var out strings.Builder
		for i := 0; i < 20; i++ {
			code, _, _ := s.raw(t, http.MethodGet, "/api/v1/namespaces/default/pods", "", "")
			if code == 503 {
				out.WriteByte('x')
			} else {
				out.WriteByte('.')
			}
		}
		return out.String()
	}
	a, b := pattern(), pattern()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("firing patterns %s and %s", a, b)
	}
}

func TestMatchDryRunAndUser(t *testing.T) {
	s := start(t)
	yes := true
	s.add(t,
		faults.Rule{Name: "dry", Conflict: &faults.ConflictFault{}, Match: faults.Match{Verbs: []string{"patch"}, DryRun: &yes}},
		faults.Rule{Name: "someone-else", ServiceUnavailable: &faults.ServiceUnavailableFault{}, Match: faults.Match{Users: []string{"mallory"}}},
	)
	_, err := s.cs.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType, []byte(ecPatch), metav1.PatchOptions{DryRun: []string{"All"}}, "ephemeralcontainers")
	if !apierrors.IsConflict(err) {
		t.Errorf("dry-run patch: %v", err)
	}
	if _, err := s.cs.CoreV1().Pods("default").Patch(context.Background(), "web", types.StrategicMergePatchType, []byte(ecPatch), metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		t.Errorf("real patch: %v", err)
	}
	s.fired(t, "dry", 1)
	s.fired(t, "someone-else", 0)
}

func TestSetOperations(t *testing.T) {
	set := faults.NewSet(0)
	r := faults.Rule{Name: "a", Delay: &faults.DelayFault{Duration: metav1.Duration{Duration: time.Second}}}
	if err := set.Add(r); err != nil {
		t.Fatal(err)
	}
	if err := set.Add(r); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("duplicate name: %v", err)
	}
	if err := set.Add(faults.Rule{Name: "b", Delay: r.Delay}, faults.Rule{Name: "bad"}); err == nil {
		t.Error("an invalid rule was accepted")
	}
	if n := len(set.List()); n != 1 {
		t.Errorf("a failed Add added rules: %d", n)
	}
	if !set.Remove("a") || set.Remove("a") || len(set.List()) != 0 {
		t.Error("Remove")
	}
	_ = set.Add(r)
	set.Clear()
	if len(set.List()) != 0 {
		t.Error("Clear")
	}
}
