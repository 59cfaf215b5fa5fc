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

package validation

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// serverGolden is one request replayed against a real kube-apiserver v1.37.2
// (envtest, --allow-privileged=true) by a capture program: the stored pod
// (old), the defaulted pod the server validated (new), and the response.
type serverGolden struct {
	Name    string               `json:"name"`
	Op      string               `json:"op"`
	Old     *corev1.Pod          `json:"old"`
	New     *corev1.Pod          `json:"new"`
	Code    int                  `json:"code"`
	Message string               `json:"message"`
	Causes  []metav1.StatusCause `json:"causes"`
}

func loadServerGolden(t *testing.T) []serverGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/server-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var gs []serverGolden
	if err := json.Unmarshal(b, &gs); err != nil {
		t.Fatal(err)
	}
	if len(gs) < 60 {
		t.Fatalf("expected the full golden set, got %d entries", len(gs))
	}
	return gs
}

// mapOrderDependent lists the scenarios whose upstream error order depends
// on Go map iteration (validateResourceRequirements ranges over limits and
// requests; apimachinery ValidateLabels ranges over labels); Ephemera sorts
// the keys where it owns the loop.
var mapOrderDependent = map[string]bool{"ec-resources-content": true, "create-resources": true, "create-metadata": true}

func sortedCauses(in []metav1.StatusCause) []metav1.StatusCause {
	out := append([]metav1.StatusCause(nil), in...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		return a.Type < b.Type
	})
	return out
}

// TestServerGolden checks message and causes byte for byte against what the
// real server returned for the same objects.
func TestServerGolden(t *testing.T) {
	opts := Options{AllowPrivileged: true} // envtest runs --allow-privileged=true
	for _, g := range loadServerGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			var errs field.ErrorList
			switch g.Op {
			case "create":
				errs = ValidatePodCreate(g.New, opts)
			case "ec":
				errs = ValidatePodEphemeralContainersUpdate(g.New, g.Old, opts)
			case "update":
				errs = ValidatePodUpdate(g.New, g.Old, opts)
			case "status":
				errs = ValidatePodStatusUpdate(g.New, g.Old, opts)
			default:
				t.Fatalf("unknown op %q", g.Op)
			}
			if g.Code < 300 {
				if len(errs) != 0 {
					t.Fatalf("server accepted (%d), we returned:\n%v", g.Code, errs.ToAggregate())
				}
				return
			}
			if g.Code != 422 {
				t.Fatalf("golden has non-validation code %d", g.Code)
			}
			got := apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, g.New.Name, errs)
			if mapOrderDependent[g.Name] {
				// Upstream ranges over a Go map (ResourceList): its order is
				// random per request. Require the same causes in any order.
				if len(got.Error()) != len(g.Message) {
					t.Errorf("message length mismatch\n got: %q\nwant: %q", got.Error(), g.Message)
				}
				gotC, wantC := sortedCauses(got.ErrStatus.Details.Causes), sortedCauses(g.Causes)
				if len(gotC) != len(wantC) {
					t.Fatalf("got %d causes, want %d\n got: %v\nwant: %v", len(gotC), len(wantC), gotC, wantC)
				}
				for i := range gotC {
					if gotC[i] != wantC[i] {
						t.Errorf("cause mismatch:\n got: %#v\nwant: %#v", gotC[i], wantC[i])
					}
				}
				return
			}
			if got.Error() != g.Message {
				t.Errorf("message mismatch\n got: %q\nwant: %q", got.Error(), g.Message)
			}
			gotCauses := got.ErrStatus.Details.Causes
			if len(gotCauses) != len(g.Causes) {
				t.Fatalf("got %d causes, want %d\n got: %v\nwant: %v", len(gotCauses), len(g.Causes), gotCauses, g.Causes)
			}
			for i := range gotCauses {
				if gotCauses[i] != g.Causes[i] {
					t.Errorf("cause %d:\n got: %#v\nwant: %#v", i, gotCauses[i], g.Causes[i])
				}
			}
		})
	}
}
