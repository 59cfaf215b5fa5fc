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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/conformance/observe"
)

// F is the per-scenario, per-target fixture: clients for the target, a fresh
// namespace and the observation recorder.
type F struct {
	Ctx    context.Context
	Target Target
	Config *rest.Config
	Client kubernetes.Interface
	HTTP   *http.Client
	NS     string

	rec   *observe.Recorder
	nodes []string // the target's node names, once listed (ClusterNote)
	// notesOnly keeps requests out of the observations: a kubelet-tier
	// scenario compares what it notes (normalized session outputs), not
	// the objects a kubelet writes differently on each node.
	notesOnly bool
}

func newF(ctx context.Context, ts *targetState) *F {
	f := &F{Ctx: ctx, Target: ts.target, Config: ts.cfg}
	var err error
	f.HTTP, err = rest.HTTPClientFor(ts.cfg)
	Expect(err).NotTo(HaveOccurred())
	f.Client, err = kubernetes.NewForConfigAndClient(ts.cfg, f.HTTP)
	Expect(err).NotTo(HaveOccurred())
	f.NS = "ephemera-conf-" + utilrand.String(8)
	_, err = f.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.NS}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred(), "creating namespace %s on %s", f.NS, ts.target.Name())
	f.rec = &observe.Recorder{NS: f.NS}
	return f
}

// cleanup deletes the namespace without waiting (envtest has no namespace
// controller, so it would never finish).
func (f *F) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = f.Client.CoreV1().Namespaces().Delete(ctx, f.NS, metav1.DeleteOptions{})
}

// Result is one HTTP exchange.
type Result struct {
	Code     int
	Body     []byte
	Header   http.Header
	Status   *metav1.Status // set when the body is a Status
	Warnings []string
}

// Pod decodes the body as a Pod (and asserts it is one).
func (r *Result) Pod() *corev1.Pod {
	GinkgoHelper()
	p := &corev1.Pod{}
	Expect(json.Unmarshal(r.Body, p)).To(Succeed(), "decoding pod from %s", r.Body)
	Expect(p.Kind).To(Equal("Pod"), "body: %s", r.Body)
	return p
}

// OK asserts a 200 response and returns the Pod.
func (r *Result) OK() *corev1.Pod {
	GinkgoHelper()
	Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
	return r.Pod()
}

// ExpectStatus asserts code, reason and the full message of a Status body.
func (r *Result) ExpectStatus(code int, reason metav1.StatusReason, message string) {
	GinkgoHelper()
	Expect(r.Code).To(Equal(code), "body: %s", r.Body)
	Expect(r.Status).NotTo(BeNil(), "body is not a Status: %s", r.Body)
	Expect(r.Status.Code).To(BeEquivalentTo(code))
	Expect(r.Status.Status).To(Equal(metav1.StatusFailure))
	Expect(r.Status.Reason).To(Equal(reason), "body: %s", r.Body)
	Expect(r.Status.Message).To(Equal(message), "body: %s", r.Body)
}

// ExpectDetails asserts details.name, details.kind and no causes.
func (r *Result) ExpectDetails(name, kind string) {
	GinkgoHelper()
	Expect(r.Status).NotTo(BeNil())
	Expect(r.Status.Details).NotTo(BeNil(), "body: %s", r.Body)
	Expect(r.Status.Details.Name).To(Equal(name))
	Expect(r.Status.Details.Kind).To(Equal(kind))
	Expect(r.Status.Details.Group).To(BeEmpty())
	Expect(r.Status.Details.Causes).To(BeEmpty())
}

// Cause is an expected details.causes entry.
type Cause struct {
	Type    metav1.CauseType `json:"reason"`
	Field   string           `json:"field"`
	Message string           `json:"message"`
}

// ExpectInvalid asserts a 422 Invalid for Pod <pod> with exactly these
// causes, in order, and the top-level message built from them the way
// apimachinery's NewInvalid does (single "field: msg", else "[a, b]").
func (r *Result) ExpectInvalid(pod string, causes ...Cause) {
	GinkgoHelper()
	var parts []string
	for _, c := range causes {
		parts = append(parts, c.Field+": "+c.Message)
	}
	msg := strings.Join(parts, ", ")
	if len(parts) > 1 {
		msg = "[" + msg + "]"
	}
	r.ExpectStatus(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, fmt.Sprintf("Pod %q is invalid: %s", pod, msg))
	Expect(r.Status.Details).NotTo(BeNil())
	Expect(r.Status.Details.Name).To(Equal(pod))
	Expect(r.Status.Details.Kind).To(Equal("Pod"))
	var got []Cause
	for _, c := range r.Status.Details.Causes {
		got = append(got, Cause{Type: c.Type, Field: c.Field, Message: c.Message})
	}
	if causes == nil {
		causes = []Cause{}
	}
	if got == nil {
		got = []Cause{}
	}
	Expect(got).To(Equal(causes), "body: %s", r.Body)
}

// Req describes a raw request.
type Req struct {
	Method      string
	Path        string // absolute API path incl. query
	ContentType string
	Accept      string
	Body        any // []byte, string or a value marshalled as JSON
	// NoRecord keeps the response out of the differential observations
	// (e.g. discovery documents that legitimately differ).
	NoRecord bool
	// UserAgent overrides the client's User-Agent (it names the default
	// field manager).
	UserAgent string
}

// Do performs a raw request against the target and records the observation.
func (f *F) Do(req Req) *Result {
	GinkgoHelper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		Expect(err).NotTo(HaveOccurred())
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequestWithContext(f.Ctx, req.Method, strings.TrimSuffix(f.Config.Host, "/")+req.Path, body)
	Expect(err).NotTo(HaveOccurred())
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
	}
	accept := req.Accept
	if accept == "" {
		accept = "application/json"
	}
	hr.Header.Set("Accept", accept)
	ua := f.Config.UserAgent
	if req.UserAgent != "" {
		ua = req.UserAgent
	}
	hr.Header.Set("User-Agent", ua)
	resp, err := f.HTTP.Do(hr)
	Expect(err).NotTo(HaveOccurred(), "%s %s", req.Method, req.Path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	r := &Result{Code: resp.StatusCode, Body: raw, Header: resp.Header}
	r.Warnings = append(r.Warnings, resp.Header.Values("Warning")...)
	var probe struct{ Kind string }
	if json.Unmarshal(raw, &probe) == nil && probe.Kind == "Status" || resp.StatusCode >= 400 {
		st := &metav1.Status{}
		if json.Unmarshal(raw, st) == nil {
			r.Status = st
		}
	}
	if !req.NoRecord && !f.notesOnly {
		f.rec.Record(req.Method+" "+req.Path, r.observed())
	}
	return r
}

// Paths.
func (f *F) podPath(name string) string {
	return "/api/v1/namespaces/" + f.NS + "/pods/" + name
}
func (f *F) ecPath(name string) string { return f.podPath(name) + "/ephemeralcontainers" }

// Request shortcuts on the subresource.
const (
	ctSMP   = "application/strategic-merge-patch+json"
	ctMerge = "application/merge-patch+json"
	ctJSONP = "application/json-patch+json"
	ctApply = "application/apply-patch+yaml"
	ctJSON  = "application/json"
)

func (f *F) GetEC(pod string) *Result {
	GinkgoHelper()
	return f.Do(Req{Method: http.MethodGet, Path: f.ecPath(pod)})
}
func (f *F) GetPod(pod string) *Result {
	GinkgoHelper()
	return f.Do(Req{Method: http.MethodGet, Path: f.podPath(pod)})
}
func (f *F) PatchEC(pod, ct string, body any, query ...string) *Result {
	GinkgoHelper()
	return f.Do(Req{Method: http.MethodPatch, Path: f.ecPath(pod) + q(query), ContentType: ct, Body: body})
}
func (f *F) PutEC(pod string, body any, query ...string) *Result {
	GinkgoHelper()
	return f.Do(Req{Method: http.MethodPut, Path: f.ecPath(pod) + q(query), ContentType: ctJSON, Body: body})
}

// AddEC adds ECs with a strategic merge patch (the way kubectl debug does,
// without $setElementOrder) and returns the result.
func (f *F) AddEC(pod string, ecs ...any) *Result {
	GinkgoHelper()
	if ecs == nil {
		ecs = []any{} // "null" would delete the list
	}
	return f.PatchEC(pod, ctSMP, map[string]any{"spec": map[string]any{"ephemeralContainers": ecs}})
}

func q(query []string) string {
	if len(query) == 0 {
		return ""
	}
	return "?" + strings.Join(query, "&")
}

// Record records an observation made through a typed client.
func (f *F) Record(step string, obj any, err error) {
	if f.notesOnly {
		return
	}
	r := &Result{Code: 200}
	if err != nil {
		r.Code = -1
		if se, ok := err.(interface{ Status() metav1.Status }); ok {
			st := se.Status()
			r.Status = &st
			r.Code = int(st.Code)
		} else {
			r.Body = []byte(err.Error())
		}
	} else if obj != nil {
		raw, _ := json.Marshal(obj)
		r.Body = raw
	}
	f.rec.Record(step, r.observed())
}

// Note records a free-form observation (e.g. a derived value).
func (f *F) Note(step string, v any) {
	raw, _ := json.Marshal(v)
	f.rec.Record(step, observe.Response{Body: raw})
}

// Cause constructors. Values are passed pre-formatted the way upstream's
// field.Error prints them (%q for strings, JSON otherwise); see
// k8s.io/apimachinery pkg/util/validation/field/errors.go ErrorBody.
func Forbidden(field, detail string) Cause {
	return Cause{metav1.CauseTypeForbidden, field, "Forbidden: " + detail}
}
func Required(field, detail string) Cause {
	m := "Required value"
	if detail != "" {
		m += ": " + detail
	}
	return Cause{metav1.CauseTypeFieldValueRequired, field, m}
}
func Invalid(field, value, detail string) Cause {
	return Cause{metav1.CauseTypeFieldValueInvalid, field, "Invalid value: " + value + ": " + detail}
}
func NotFound(field, value string) Cause {
	return Cause{metav1.CauseTypeFieldValueNotFound, field, "Not found: " + value}
}
func Duplicate(field, value string) Cause {
	return Cause{metav1.CauseTypeFieldValueDuplicate, field, "Duplicate value: " + value}
}
func NotSupported(field, value, supported string) Cause {
	return Cause{metav1.CauseTypeFieldValueNotSupported, field, "Unsupported value: " + value + ": supported values: " + supported}
}
