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

package observe

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNormalizationHidesVolatileFields(t *testing.T) {
	mk := func(ns, uid, rv, ts string) []Observation {
		r := &Recorder{NS: ns}
		body := `{"kind":"Pod","metadata":{"name":"p1","namespace":"` + ns + `","uid":"` + uid + `","resourceVersion":"` + rv +
			`","creationTimestamp":"` + ts + `","generation":2,"managedFields":[{"manager":"m","time":"` + ts + `"}]}}`
		r.Record("PATCH /api/v1/namespaces/"+ns+"/pods/p1/ephemeralcontainers", Response{Code: 200, Body: []byte(body)})
		r.Record("PUT", Response{Code: 409, Status: &metav1.Status{Reason: metav1.StatusReasonConflict,
			Message: "Key: /registry/pods/" + ns + "/p1, ResourceVersion: " + rv + ", UID in precondition: " + uid}})
		return r.Observations
	}
	a := mk("ephemera-conf-aaaa", "11111111-2222-3333-4444-555555555555", "17", "2026-01-01T00:00:00Z")
	b := mk("ephemera-conf-bbbb", "99999999-2222-3333-4444-555555555555", "4242", "2027-01-01T00:00:00Z")
	if d := Diff([]string{"a", "b"}, a, b); d != "" {
		t.Fatalf("volatile fields leaked into the comparison:\n%s", d)
	}
}

func TestDifferentialReportsEveryDifferingStep(t *testing.T) {
	r1, r2 := &Recorder{NS: "x"}, &Recorder{NS: "y"}
	r1.Record("s1", Response{Code: 200, Body: []byte(`{"generation":2}`)})
	r2.Record("s1", Response{Code: 200, Body: []byte(`{"generation":3}`)})
	r1.Record("s2", Response{Code: 422, Status: &metav1.Status{Reason: "Invalid", Message: "a"}})
	r2.Record("s2", Response{Code: 422, Status: &metav1.Status{Reason: "Invalid", Message: "a"}})
	r1.Record("s3", Response{Code: 404, Status: &metav1.Status{Reason: "NotFound", Message: "gone"}})
	d := Diff([]string{"ephemera", "envtest"}, r1.Observations, r2.Observations)
	for _, want := range []string{"step 1:", `"generation":2`, `"generation":3`, "step 3:", "(no observation)"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "step 2:") {
		t.Errorf("equal step reported as different:\n%s", d)
	}
}

// The strict-decoding error of a patch quotes the whole patched object,
// JSON-escaped, in its message: its resourceVersion and timestamps differ
// between two servers like the object's own do.
func TestNormalizationHidesVolatileFieldsQuotedInMessages(t *testing.T) {
	mk := func(ns, rv, ts string) []Observation {
		r := &Recorder{NS: ns}
		quoted := `{\"metadata\":{\"name\":\"p1\",\"resourceVersion\":\"` + rv + `\",\"creationTimestamp\":\"` + ts + `\"}}`
		r.Record("PATCH", Response{Code: 422, Status: &metav1.Status{Reason: metav1.StatusReasonInvalid,
			Message: `Pod "p1" is invalid: patch: Invalid value: "` + quoted + `": strict decoding error: unknown field "x"`}})
		return r.Observations
	}
	a := mk("ns-a", "43", "2026-12-01T15:35:09Z")
	b := mk("ns-b", "251", "2026-12-01T15:35:10Z")
	if d := Diff([]string{"a", "b"}, a, b); d != "" {
		t.Fatalf("volatile fields quoted in a message leaked into the comparison:\n%s", d)
	}
	if c := mk("ns-a", "43", "2026-12-01T15:35:09Z"); !strings.Contains(c[0].Message, `resourceVersion\":\"<rv>\"`) {
		t.Fatalf("resourceVersion not normalized: %s", c[0].Message)
	}
}

// Two servers list the same managedFields entries in different orders when
// writes straddle a second on one of them: the order follows the times,
// which are normalized away.
func TestNormalizationOrdersManagedFieldsWithoutTimes(t *testing.T) {
	mk := func(body string) []Observation {
		r := &Recorder{NS: "ns"}
		r.Record("PATCH", Response{Code: 200, Body: []byte(body)})
		return r.Observations
	}
	a := mk(`{"metadata":{"managedFields":[{"manager":"m","operation":"Update","time":"2026-01-01T00:00:00Z"},{"manager":"m","operation":"Update","subresource":"ephemeralcontainers","time":"2026-01-01T00:00:00Z"}]}}`)
	b := mk(`{"metadata":{"managedFields":[{"manager":"m","operation":"Update","subresource":"ephemeralcontainers","time":"2026-01-01T00:00:00Z"},{"manager":"m","operation":"Update","time":"2026-01-01T00:00:01Z"}]}}`)
	if d := Diff([]string{"a", "b"}, a, b); d != "" {
		t.Fatalf("managedFields order leaked into the comparison:\n%s", d)
	}
	c := mk(`{"metadata":{"managedFields":[{"manager":"other","operation":"Update","time":"2026-01-01T00:00:00Z"}]}}`)
	if d := Diff([]string{"a", "c"}, a, c); d == "" {
		t.Fatal("different managedFields compared equal")
	}
}
