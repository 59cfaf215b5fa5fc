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
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
)

// These tests cover the input builders alone; they need no server.

func TestShapeFollowsTheV1Schema(t *testing.T) {
	pod := podShape()
	ecs := pod.fieldNamed("spec").typ.fieldNamed("ephemeralContainers")
	if ecs == nil || ecs.typ.kind != kindList || ecs.patchStrategy != "merge" || ecs.mergeKey != "name" {
		t.Fatalf("spec.ephemeralContainers: %+v", ecs)
	}
	ec := ecs.typ.elem
	// EphemeralContainerCommon is inlined into EphemeralContainer.
	for _, name := range []string{"name", "image", "targetContainerName", "securityContext", "volumeMounts"} {
		if ec.fieldNamed(name) == nil {
			t.Errorf("ephemeral container has no field %q", name)
		}
	}
	if k := ec.at("resources").at("limits").at("cpu").kind; k != kindQuantity {
		t.Errorf("resources.limits[cpu] is kind %d, want a quantity", k)
	}
	if v := pod.at("spec").fieldNamed("volumes"); v.patchStrategy != "merge,retainKeys" {
		t.Errorf("spec.volumes patch strategy %q", v.patchStrategy)
	}
	if k := pod.at("metadata").at("creationTimestamp").kind; k != kindTime {
		t.Errorf("metadata.creationTimestamp is kind %d", k)
	}
}

const ecPatch = `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox"}]}}`

func TestBodyIsDeterministicValidJSON(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		edits := make([]byte, rnd.Intn(40))
		rnd.Read(edits)
		for _, ct := range []string{StrategicMergePatch, JSONPatch} {
			body := []byte(ecPatch)
			if ct == JSONPatch {
				body = []byte(`[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"j","image":"busybox"}}]`)
			}
			a, b := Body(ct, body, edits), Body(ct, body, edits)
			if !bytes.Equal(a, b) {
				t.Fatalf("same input, two bodies:\n%s\n%s", a, b)
			}
			if !json.Valid(a) {
				t.Fatalf("edits %x made invalid JSON: %s", edits, a)
			}
		}
	}
}

func TestBodyWithoutEditsIsSentAsIs(t *testing.T) {
	for _, in := range []string{ecPatch, `{"a":1,"a":2}`, "not json", "apiVersion: v1\nkind: Pod\n"} {
		if got := Body(StrategicMergePatch, []byte(in), nil); string(got) != in {
			t.Errorf("Body(%q) = %q", in, got)
		}
	}
	// Edits never apply to a body that is not JSON.
	if got := Body(StrategicMergePatch, []byte("not json"), []byte{1, 2, 3}); string(got) != "not json" {
		t.Errorf("edits changed a raw body: %q", got)
	}
}

// The point of structure-aware inputs: random edit programs reach the
// strategic-merge-patch directives and the schema's field names, which
// random bytes almost never spell.
func TestEditsReachDirectivesAndSchemaFields(t *testing.T) {
	want := []string{`"$patch"`, `"$retainKeys"`, `"$setElementOrder/`, `"$deleteFromPrimitiveList/`,
		`"targetContainerName"`, `"securityContext"`, `"existing"`, `"IfNotPresent"`}
	seen := map[string]bool{}
	rnd := rand.New(rand.NewSource(2))
	for i := 0; i < 5000 && len(seen) < len(want); i++ {
		edits := make([]byte, 8+rnd.Intn(24))
		rnd.Read(edits)
		out := string(Body(StrategicMergePatch, []byte(ecPatch), edits))
		for _, w := range want {
			if strings.Contains(out, w) {
				seen[w] = true
			}
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("5000 edit programs never produced %s", w)
		}
	}
}

func TestJSONPatchEditsUseFixturePaths(t *testing.T) {
	ptrs := pointers(FixtureDoc(), podShape())
	has := map[string]bool{}
	for _, p := range ptrs {
		has[p.path] = true
	}
	for _, p := range []string{"/spec/ephemeralContainers/0/image", "/spec/ephemeralContainers/-",
		"/spec/ephemeralContainers/1", "/spec/ephemeralContainers/0/targetContainerName", "/metadata/labels/app"} {
		if !has[p] {
			t.Errorf("no JSON pointer %s", p)
		}
	}
	if s := shapeAtPointer("/spec/ephemeralContainers/0/ports/0/containerPort"); s == nil || s.kind != kindInt {
		t.Errorf("shape at containerPort: %+v", s)
	}
}

func TestDescribeIsACorpusEntry(t *testing.T) {
	d := Describe("FuzzX", 13, MergePatch, "?dryRun=All", []byte(`{"a":"\n"}`))
	want := "go test fuzz v1\nbyte('\\r')\n[]byte(\"{\\\"a\\\":\\\"\\\\n\\\"}\")\n[]byte(\"\")\n"
	if !strings.HasSuffix(d, want) {
		t.Fatalf("Describe ends with\n%s\nwant\n%s", d, want)
	}
}

func TestReadsServerState(t *testing.T) {
	for body, want := range map[string]bool{
		`[{"from":"/metadata/resourceVersion","op":"move","path":"/spec/ephemeralContainers/0/tty"}]`: true,
		`[{"op":"copy","from":"/metadata","path":"/metadata/labels"}]`:                                true,
		`[{"op":"copy","from":"","path":"/spec/x"}]`:                                                  true,
		`[{"op":"test","path":"/metadata/uid","value":"x"}]`:                                          true,
		`[{"op":"copy","from":"/metadata/managedFields/0/time","path":"/x"}]`:                         true,
		`[{"op":"copy","from":"/metadata/name","path":"/x"}]`:                                         false,
		`[{"op":"replace","path":"/metadata/resourceVersion","value":"1"}]`:                           false,
		`[{"op":"test","path":"/metadata/labels","value":{}}]`:                                        false,
		`not json`: false,
	} {
		if got := ReadsServerState(JSONPatch, []byte(body)); got != want {
			t.Errorf("ReadsServerState(%s) = %v", body, got)
		}
	}
	if ReadsServerState(MergePatch, []byte(`[{"op":"test","path":"/metadata/uid"}]`)) {
		t.Error("only JSON patches read values")
	}
}
