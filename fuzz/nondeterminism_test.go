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

package fuzz

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ephemera-dev/ephemera/conformance/observe"
)

func observeResponse(code int, body string, st *metav1.Status) observe.Response {
	return observe.Response{Code: code, Body: []byte(body), Status: st}
}

func status(causes ...metav1.StatusCause) *metav1.Status {
	return &metav1.Status{Message: `Pod "p" is invalid: ` + aggregate(causes), Details: &metav1.StatusDetails{Causes: causes}}
}

func cause(field, msg string) metav1.StatusCause {
	return metav1.StatusCause{Field: field, Message: msg}
}

// Two orders kube-apiserver v1.37.2 gave for the same request.
func TestOrderMapKeysMakesMapIterationOrderCanonical(t *testing.T) {
	lim := "spec.ephemeralContainers[0].resources.limits"
	a := status(cause(lim+"[zz]", "std"), cause(lim+"[zz]", "ctr"), cause(lim+"[app]", "std"), cause(lim+"[app]", "ctr"),
		cause(lim+"[hugepages-2Mi]", "multiple"), cause("spec.ephemeralContainers[0].resources", "HugePages require cpu or memory"))
	b := status(cause(lim+"[app]", "std"), cause(lim+"[app]", "ctr"), cause(lim+"[hugepages-2Mi]", "multiple"),
		cause(lim+"[zz]", "std"), cause(lim+"[zz]", "ctr"), cause("spec.ephemeralContainers[0].resources", "HugePages require cpu or memory"))
	orderMapKeys(a)
	orderMapKeys(b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("orders differ:\n%+v\n%+v", a, b)
	}
	if a.Details.Causes[1].Message != "ctr" || a.Message != `Pod "p" is invalid: `+aggregate(a.Details.Causes) {
		t.Fatalf("a key's own causes or the message out of order: %+v", a)
	}
}

// The two orders kube-apiserver v1.37.2 gave for requests {cpu: 200m, app: 1}
// (app defaulted from the limits) under limits {app: 1, cpu: 100m}: the
// request above its limit is reported on "requests" itself, in the
// iteration of cpu (FINDINGS.md, finding 12).
func TestOrderMapKeysSortsRequestAboveLimitWithItsKey(t *testing.T) {
	res := "spec.containers[0].resources"
	above := cause(res+".requests", `Invalid value: "200m": must be less than or equal to cpu limit of 100m`)
	std := `Invalid value: "app": must be a standard resource type or fully qualified`
	ctr := `Invalid value: "app": must be a standard resource for containers`
	a := status(cause(res+".limits[app]", std), cause(res+".limits[app]", ctr), above, cause(res+".requests[app]", std), cause(res+".requests[app]", ctr))
	b := status(cause(res+".limits[app]", std), cause(res+".limits[app]", ctr), cause(res+".requests[app]", std), cause(res+".requests[app]", ctr), above)
	orderMapKeys(a)
	orderMapKeys(b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("orders differ:\n%+v\n%+v", a, b)
	}
	if a.Details.Causes[4] != above || a.Message != `Pod "p" is invalid: `+aggregate(a.Details.Causes) {
		t.Fatalf("not sorted by the key the message names: %+v", a)
	}
}

// The two orders of requests {cpu: 200m, "": 2} ("" defaulted from the
// limits) under limits {"": 2, cpu: 100m}: the empty key is a key
// (FINDINGS.md, finding 23).
func TestOrderMapKeysSortsTheEmptyKey(t *testing.T) {
	res := "spec.containers[0].resources"
	above := cause(res+".requests", `Invalid value: "200m": must be less than or equal to cpu limit of 100m`)
	empty := `Invalid value: "": name part must be non-empty`
	std := `Invalid value: "": must be a standard resource for containers`
	a := status(cause(res+".limits[]", empty), cause(res+".limits[]", std), above, cause(res+".requests[]", empty), cause(res+".requests[]", std))
	b := status(cause(res+".limits[]", empty), cause(res+".limits[]", std), cause(res+".requests[]", empty), cause(res+".requests[]", std), above)
	orderMapKeys(a)
	orderMapKeys(b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("orders differ:\n%+v\n%+v", a, b)
	}
}

// Two orders kube-apiserver v1.37.2 gave to one create (FINDINGS 25): the
// requests loop reports the missing limit of example.com/gpu on the limits
// map, before or after the causes of the other requests.
func TestOrderMapKeysPutsTheMissingLimitLast(t *testing.T) {
	res := "spec.containers[0].resources"
	missing := cause(res+".limits", limitRequired)
	std := func(k string) metav1.StatusCause {
		return cause(res+".requests["+k+"]", `Invalid value: "`+k+`": must be a standard resource for containers`)
	}
	limits := cause(res+".limits[app]", `Invalid value: "app": must be a standard resource for containers`)
	a := status(limits, std("app"), std("c\ufffdu"), missing)
	b := status(limits, std("c\ufffdu"), missing, std("app"))
	c := status(limits, missing, std("app"), std("c\ufffdu"))
	for _, s := range []*metav1.Status{a, b, c} {
		orderMapKeys(s)
	}
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, c) {
		t.Fatalf("orders differ:\n%+v\n%+v\n%+v", a.Details.Causes, b.Details.Causes, c.Details.Causes)
	}
	if got := a.Details.Causes; got[0] != limits || got[3] != missing {
		t.Fatalf("the limits map's cause moved or the missing limit is not last: %+v", got)
	}
}

func TestOrderMapKeysLeavesListsAndOtherRunsAlone(t *testing.T) {
	s := status(cause("spec.containers[1].name", "x"), cause("spec.containers[0].name", "y"), cause("spec.x[1]", "a"), cause("spec.x[0]", "b"))
	want := *s
	want.Details = &metav1.StatusDetails{Causes: append([]metav1.StatusCause(nil), s.Details.Causes...)}
	orderMapKeys(s)
	if !reflect.DeepEqual(*s, want) {
		t.Fatalf("reordered list indexes: %+v", s.Details.Causes)
	}
}

// Two answers kube-apiserver v1.37.2 gave to the same apply.
func TestHideMapWalkErrors(t *testing.T) {
	one := &metav1.Status{Message: "failed to create typed patch object (/; /v1, Kind=Pod): .metadata.n]me: field not declared in schema"}
	two := &metav1.Status{Message: "failed to create typed patch object (/; /v1, Kind=Pod): errors:\n  .metadata.annotations: expected map, got &{a}\n  .metadata.n]me: field not declared in schema"}
	canonicalize(one)
	canonicalize(two)
	if one.Message != two.Message {
		t.Fatalf("%q != %q", one.Message, two.Message)
	}
	kept := &metav1.Status{Message: "failed to create typed patch object (/p; /v1, Kind=Pod): .metadata.annotations: expected map, got &{a}"}
	want := kept.Message
	canonicalize(kept)
	if kept.Message != want {
		t.Fatalf("a deterministic message changed: %q", kept.Message)
	}
}

// Names generated from metadata.generateName differ between the servers
// (kube-apiserver's own answers to one request differ too); the same prefix
// and five characters each are hidden, a name the request gave is not.
func TestHideGeneratedNames(t *testing.T) {
	refused := func(name string) Answer {
		msg := `Pod "` + name + `" is invalid: spec.containers: Required value`
		return Answer{Response: observeResponse(422, `{"message":`+strconv.Quote(msg)+`}`, &metav1.Status{Message: msg, Details: &metav1.StatusDetails{Name: name}})}
	}
	ans := [2]Answer{refused("existing262r4"), refused("existingpvjwh")}
	after := [2]Answer{{Response: observeResponse(404, "", nil)}, {Response: observeResponse(404, "", nil)}}
	hideGeneratedNames(&ans, &after)
	for i, a := range ans {
		if a.Status.Details.Name != "<generated>" || a.Status.Message != `Pod "<generated>" is invalid: spec.containers: Required value` ||
			string(a.Body) != `{"message":"Pod \"<generated>\" is invalid: spec.containers: Required value"}` {
			t.Errorf("server %d: %+v %s", i, a.Status, a.Body)
		}
	}
	// A generateName with a control character: messages quote the name
	// with %q, which escapes it, and the body JSON-encodes both forms.
	refusedQ := func(name string) Answer {
		msg := fmt.Sprintf(`Pod %q is invalid: metadata.name: Invalid value: %q`, name, name)
		body, _ := json.Marshal(map[string]string{"message": msg, "name": name})
		return Answer{Response: observeResponse(422, string(body), &metav1.Status{Message: msg, Details: &metav1.StatusDetails{Name: name}})}
	}
	ans = [2]Answer{refusedQ("\x052njld"), refusedQ("\x05x7dk5")}
	hideGeneratedNames(&ans, &after)
	for i, a := range ans {
		if a.Status.Details.Name != "<generated>" || a.Status.Message != `Pod "<generated>" is invalid: metadata.name: Invalid value: "<generated>"` ||
			string(a.Body) != `{"message":"Pod \"<generated>\" is invalid: metadata.name: Invalid value: \"<generated>\"","name":"<generated>"}` {
			t.Errorf("server %d (control character): %+v %s", i, a.Status, a.Body)
		}
	}
	// Different names that no generator made stay as they are.
	ans = [2]Answer{refused("alpha"), refused("beta1")}
	hideGeneratedNames(&ans, &after)
	if ans[0].Status.Details.Name != "alpha" || ans[1].Status.Details.Name != "beta1" {
		t.Errorf("names hidden: %q %q", ans[0].Status.Details.Name, ans[1].Status.Details.Name)
	}
}

func TestSortMapWalkErrors(t *testing.T) {
	msg := func(a, b string) *metav1.Status {
		return &metav1.Status{Message: "failed to create typed patch object (/; /v1, Kind=Pod): errors:\n  " + a + "\n  " + b}
	}
	x := msg(`.spec.ephemeralContainers: duplicate entries for key [name="vol"]`, ".metadata: expected map, got &{busybox}")
	y := msg(".metadata: expected map, got &{busybox}", `.spec.ephemeralContainers: duplicate entries for key [name="vol"]`)
	sortMapWalkErrors(x)
	sortMapWalkErrors(y)
	if x.Message != y.Message {
		t.Errorf("the two orders stay different:\n%s\n%s", x.Message, y.Message)
	}
	one := &metav1.Status{Message: "failed to create typed patch object (/; /v1, Kind=Pod): .spec: expected map"}
	sortMapWalkErrors(one)
	if one.Message != "failed to create typed patch object (/; /v1, Kind=Pod): .spec: expected map" {
		t.Errorf("a single error changed: %q", one.Message)
	}
}

func TestSMPOrderDependent(t *testing.T) {
	for body, want := range map[string]bool{
		`{"spec":{"containers":[{"$deleteFromPrimitiveList/command":null,"command":["dbg2"],"name":"app"}]}}`: true,
		`{"spec":{"containers":[{"$deleteFromPrimitiveList/command":["a"],"name":"app"}]}}`:                   false,
		`{"spec":{"containers":[{"command":["a"],"name":"app"}]}}`:                                            false,
		`{"$deleteFromPrimitiveList/finalizers":["x"],"finalizers":["y"]}`:                                    true,
	} {
		if got := SMPOrderDependent(StrategicMergePatch, []byte(body)); got != want {
			t.Errorf("SMPOrderDependent(%s) = %v, want %v", body, got, want)
		}
	}
	if SMPOrderDependent(MergePatch, []byte(`{"$deleteFromPrimitiveList/a":null,"a":[]}`)) {
		t.Error("a merge patch has no directives")
	}
}

func TestOrderLabelErrors(t *testing.T) {
	for _, field := range []string{"metadata.labels", "aggregationRule.clusterRoleSelectors[0].matchLabels"} {
		c := func(msg string) metav1.StatusCause {
			return metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid, Field: field, Message: msg}
		}
		a := &metav1.Status{Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{c(`Invalid value: "b": x`), c(`Invalid value: "a": y`)}}}
		b := &metav1.Status{Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{c(`Invalid value: "a": y`), c(`Invalid value: "b": x`)}}}
		orderMapKeys(a)
		orderMapKeys(b)
		if !reflect.DeepEqual(a.Details.Causes, b.Details.Causes) {
			t.Errorf("%s: errors in the two orders stay different: %v, %v", field, a.Details.Causes, b.Details.Causes)
		}
	}
}
