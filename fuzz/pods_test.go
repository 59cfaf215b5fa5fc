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
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// The differential fuzz targets. Each execution sends one fuzzed request to
// Ephemera and to the reference kube-apiserver v1.37.2 (envtest) and fails
// when their answers or the stored pods afterwards differ (Harness.Check).
// `make fuzz FUZZTIME=...` fuzzes each in turn; `make test` (and plain
// `go test ./fuzz/`) replays the seeds below and the kept
// corpus under testdata/fuzz/<target>/.
//
//	go test ./fuzz/ -run '^$' -fuzz '^FuzzEphemeralContainersPatch$' -fuzztime 60s
//
// Every target takes (mode byte, body, edits): mode selects the patch type
// and the query options, body is the request body, edits are
// structure-aware mutations applied to it (see Body).

func TestMain(m *testing.M) {
	code := m.Run()
	if err := StopReference(); err != nil {
		println("stopping the reference server:", err.Error())
	}
	os.Exit(code)
}

// harness returns the process's Harness. The reference server is gated by
// internal/referencetest, as every test on the reference binaries: outside
// `make test` a missing binary skips, inside it fails. A reference server
// handed over through ReferenceKubeconfigEnv (a fuzz worker's, or one
// started some other way) needs no binaries here.
func harness(f testing.TB) *Harness {
	if os.Getenv(ReferenceKubeconfigEnv) == "" {
		referencetest.Assets(f, "kube-apiserver", "etcd")
	}
	h, err := Shared()
	if err != nil {
		f.Fatal(err)
	}
	return h
}

func fixture(t *testing.T, h *Harness) *Fixture {
	fx, err := h.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

type seed struct {
	mode uint8
	body string
}

func addSeeds(f *testing.F, seeds []seed) {
	for _, s := range seeds {
		f.Add(s.mode, []byte(s.body), []byte(nil))
	}
}

var ecPatchTypes = []string{StrategicMergePatch, MergePatch, JSONPatch}

// Seeds of the patch targets, by patch type (mode%3 on the subresource,
// mode%4 on pods, where 3 is server-side apply).
var patchSeeds = []seed{
	{0, `{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox","resources":{},"terminationMessagePolicy":"File","securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}}]}}`},
	{0, `{"spec":{"$setElementOrder/ephemeralContainers":[{"name":"existing"},{"name":"new"}],"ephemeralContainers":[{"name":"new","image":"busybox"}]}}`},
	{0, `{"spec":{"ephemeralContainers":[{"name":"existing","image":"changed"}]}}`},
	{0, `{"metadata":{"labels":{"x":"y"}},"spec":{"activeDeadlineSeconds":5,"containers":[{"name":"app","image":"other"}]},"status":{"phase":"Running"}}`},
	{0, `{"spec":{"$setElementOrder/":[]}}`},
	{0, `{"spec":{"ephemeralContainers":[{"$patch":"delete","name":"existing"}]}}`},
	{0, `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox","$retainKeys":["name"]}]}}`},
	{0, `{"spec":{"containers":[{"name":"app","$deleteFromPrimitiveList/command":["sleep"]}]}}`},
	{0, `{"spec":{"ephemeralContainers":[{"name":"Bad_Name","image":" padded ","targetContainerName":"ghost","volumeMounts":[{"name":"v","mountPath":"/x","subPath":"../y"}]}]}}`},
	{0, `not json`},
	{1, `{"spec":{"ephemeralContainers":[]}}`},
	{1, `{"spec":{"ephemeralContainers":[{"name":"existing","image":"busybox:1.36","command":["sleep","1"]},{"name":"m","image":"busybox","ports":[{"containerPort":80}]}]}}`},
	{1, `{"metadata":{"resourceVersion":"1"}}`},
	{1, `{"spec":{"ephemeralContainers":[{"name":"existing","image":"busybox:1.36","command":["sleep","1"]},{"name":"e","image":"busybox","lifecycle":{},"resources":{"limits":{}}}]}}`},
	{2, `[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"j","image":"busybox"}}]`},
	{2, `[{"op":"remove","path":"/spec/ephemeralContainers/0"}]`},
	{2, `[{"op":"test","path":"/spec/ephemeralContainers/0/name","value":"nope"}]`},
	{2, `[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"busybox:latest"}]`},
	// mode/3 selects the options (DecodeOptions): 1 dry run, 2 Strict, 4 Warn.
	{0 + 1*3, `{"spec":{"ephemeralContainers":[{"name":"dry","image":"busybox"}]}}`},
	{0 + 2*3, `{"spec":{"ephemeralContainers":[{"name":"s","image":"busybox","bogus":1,"image ":"x"}]}}`},
	{1 + 4*3, `{"spec":{"ephemeralContainers":[{"name":"w","image":"busybox","bogus":1}]},"extra":true}`},
}

// FuzzEphemeralContainersPatch: strategic merge, merge and JSON patches on
// pods/ephemeralcontainers of a pod that has one ephemeral container.
func FuzzEphemeralContainersPatch(f *testing.F) {
	addSeeds(f, patchSeeds)
	h := harness(f)
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		ct := ecPatchTypes[int(mode)%len(ecPatchTypes)]
		opts := DecodeOptions(mode / uint8(len(ecPatchTypes)))
		payload := Body(ct, body, edits)
		fx := fixture(t, h)
		vars, jsonVars := fx.Vars(h.NS)
		path := h.podPath(fx.Name) + "/ephemeralcontainers" + opts.Query()
		h.Check(t, Case{
			Req:         Request{Method: http.MethodPatch, Path: path, ContentType: ct, Body: payload, Vars: vars, JSONVars: jsonVars},
			Pod:         fx.Name,
			Fixture:     fx,
			DryRun:      opts.DryRun,
			Subresource: true,
			Input:       Describe("FuzzEphemeralContainersPatch", mode, ct, opts.Query(), payload),
		})
	})
}

var podPatchTypes = []string{StrategicMergePatch, MergePatch, JSONPatch, ApplyPatch}

// FuzzPodPatch: every patch type, server-side apply included, on the pod
// itself.
func FuzzPodPatch(f *testing.F) {
	addSeeds(f, patchSeeds)
	addSeeds(f, []seed{
		{3, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME","labels":{"applied":"yes"}}}`},
		{3, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"},"spec":{"containers":[{"name":"app","image":"busybox:1.37"}]}}`},
		{3, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: $NAME\n  annotations:\n    a: b\n"},
		{0, `{"spec":{"containers":[{"name":"app","image":"busybox:1.37"}]}}`},
		{1, `{"metadata":{"labels":{"app":null,"b":"c"}},"spec":{"activeDeadlineSeconds":30}}`},
		{0, `{"spec":{"tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}]}}`},
	})
	h := harness(f)
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		ct := podPatchTypes[int(mode)%len(podPatchTypes)]
		rest := mode / uint8(len(podPatchTypes))
		opts := DecodeOptions(rest)
		if ct == ApplyPatch {
			// apply needs a field manager (else 400); bit 3 leaves it out.
			if rest&8 == 0 {
				opts.FieldManager = "fuzz-apply"
			}
			opts.Force = rest&16 != 0
		}
		payload := Body(ct, body, edits)
		fx := fixture(t, h)
		vars, jsonVars := fx.Vars(h.NS)
		path := h.podPath(fx.Name) + opts.Query()
		h.Check(t, Case{
			Req:     Request{Method: http.MethodPatch, Path: path, ContentType: ct, Body: payload, Vars: vars, JSONVars: jsonVars},
			Pod:     fx.Name,
			Fixture: fx,
			DryRun:  opts.DryRun,
			Input:   Describe("FuzzPodPatch", mode, ct, opts.Query(), payload),
		})
	})
}

// putPod is a PUT body on the subresource: the fixture pod (placeholders
// for what differs per server) with ephemeral containers ecs.
func putPod(meta string, ecs string) string {
	pod := FixtureDoc().(map[string]any)
	m := pod["metadata"].(map[string]any)
	var extra map[string]any
	_ = json.Unmarshal([]byte(meta), &extra)
	for k, v := range extra {
		m[k] = v
	}
	var list []any
	_ = json.Unmarshal([]byte(ecs), &list)
	pod["spec"].(map[string]any)["ephemeralContainers"] = list
	return string(encodeJSON(pod))
}

const existingJSON = `{"name":"existing","image":"busybox:1.36","command":["sleep","1"]}`

// FuzzEphemeralContainersUpdate: PUT of pods/ephemeralcontainers with a
// fuzzed pod, as client-go's UpdateEphemeralContainers sends it.
func FuzzEphemeralContainersUpdate(f *testing.F) {
	addSeeds(f, []seed{
		{0, putPod(`{"namespace":"$NS","resourceVersion":"$RV","uid":"$UID"}`, `[`+existingJSON+`,{"name":"dbg","image":"busybox"}]`)},
		{0, putPod(`{"namespace":"$NS"}`, `[`+existingJSON+`,{"name":"dbg","image":"busybox","stdin":true,"tty":true,"targetContainerName":"app"}]`)},
		{0, putPod(`{}`, `[]`)},
		{0, putPod(`{"resourceVersion":"1"}`, `[`+existingJSON+`]`)},
		{0, putPod(`{"uid":"00000000-0000-0000-0000-000000000000"}`, `[`+existingJSON+`]`)},
		{0, putPod(`{"name":"other"}`, `[`+existingJSON+`]`)},
		{2, putPod(`{"deletionGracePeriodSeconds":5}`, `[`+existingJSON+`,{"name":"p","image":"busybox","ports":[{"containerPort":80}],"bogus":true}]`)},
		{1, putPod(`{}`, `[`+existingJSON+`,{"name":"dry","image":"busybox"}]`)},
		{0, `{"apiVersion":"v1","kind":"EphemeralContainers","metadata":{"name":"$NAME"},"ephemeralContainers":[]}`},
		{0, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"$NAME"},"spec":{}}`},
		{0, `{`},
	})
	h := harness(f)
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		opts := DecodeOptions(mode)
		payload := Body(JSON, body, edits)
		fx := fixture(t, h)
		vars, jsonVars := fx.Vars(h.NS)
		path := h.podPath(fx.Name) + "/ephemeralcontainers" + opts.Query()
		h.Check(t, Case{
			Req:         Request{Method: http.MethodPut, Path: path, ContentType: JSON, Body: payload, Vars: vars, JSONVars: jsonVars},
			Pod:         fx.Name,
			Fixture:     fx,
			DryRun:      opts.DryRun,
			Subresource: true,
			Input:       Describe("FuzzEphemeralContainersUpdate", mode, JSON, opts.Query(), payload),
		})
	})
}

// applyManagers are the field managers FuzzEphemeralContainersApply
// chooses from: its own, the one that added the fixture's ephemeral
// container (named by the User-Agent), kubectl's, and none (400).
var applyManagers = []string{"fuzz-apply", "ephemera-fuzz", "kubectl", ""}

// FuzzEphemeralContainersApply: server-side apply on
// pods/ephemeralcontainers.
func FuzzEphemeralContainersApply(f *testing.F) {
	addSeeds(f, []seed{
		{0, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME","namespace":"$NS"},"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox"}]}}`},
		{0, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"},"spec":{"ephemeralContainers":[{"name":"existing","image":"busybox:1.37"}]}}`},
		{8, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"},"spec":{"ephemeralContainers":[{"name":"existing","image":"busybox:1.37"}]}}`},
		{1, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"},"spec":{"ephemeralContainers":[` + existingJSON + `]}}`},
		{0, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME","labels":{"x":"y"}},"spec":{"containers":[{"name":"app","image":"x"}],"ephemeralContainers":[{"name":"e","image":"busybox","ports":[{"containerPort":1}]}]},"status":{"phase":"Failed"}}`},
		{0, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: $NAME\nspec:\n  ephemeralContainers:\n  - name: yaml\n    image: busybox\n"},
		{3, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"}}`},
		{0, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"other"}}`},
		{0, `{"kind":"Pod","metadata":{"name":"$NAME"}}`},
		{0, "- a\n- b\n"},
	})
	h := harness(f)
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		opts := Options{FieldManager: applyManagers[mode%4], Force: mode&4 != 0, DryRun: mode&8 != 0,
			FieldValidation: fieldValidations[(mode>>4)%4]}
		payload := Body(ApplyPatch, body, edits)
		fx := fixture(t, h)
		vars, jsonVars := fx.Vars(h.NS)
		path := h.podPath(fx.Name) + "/ephemeralcontainers" + opts.Query()
		h.Check(t, Case{
			Req:         Request{Method: http.MethodPatch, Path: path, ContentType: ApplyPatch, Body: payload, Vars: vars, JSONVars: jsonVars},
			Pod:         fx.Name,
			Fixture:     fx,
			DryRun:      opts.DryRun,
			Subresource: true,
			Input:       Describe("FuzzEphemeralContainersApply", mode, ApplyPatch, opts.Query(), payload),
		})
	})
}

// createPod is a create body: the base pod with metadata and spec fields
// merged in.
func createPod(meta, spec string) string {
	raw, _ := json.Marshal(BasePod(VarName))
	doc, _ := decodeJSON(raw)
	pod := doc.(map[string]any)
	for key, extra := range map[string]string{"metadata": meta, "spec": spec} {
		var m map[string]any
		_ = json.Unmarshal([]byte(extra), &m)
		for k, v := range m {
			pod[key].(map[string]any)[k] = v
		}
	}
	return string(encodeJSON(pod))
}

// FuzzPodCreate: pod creation with a fuzzed pod.
func FuzzPodCreate(f *testing.F) {
	addSeeds(f, []seed{
		{0, createPod(`{}`, `{}`)},
		{0, createPod(`{"namespace":"$NS","annotations":{"a":"b"}}`, `{"restartPolicy":"Never","terminationGracePeriodSeconds":0}`)},
		{0, createPod(`{}`, `{"ephemeralContainers":[{"name":"dbg","image":"busybox"}]}`)},
		{0, createPod(`{}`, `{"containers":[{"name":"app","image":"busybox","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":80}]}]}`)},
		{0, createPod(`{}`, `{"securityContext":{"runAsUser":-1},"hostNetwork":true,"dnsPolicy":"None"}`)},
		{0, createPod(`{}`, `{"containers":[{"name":"app","image":"busybox","resources":{"limits":{"cpu":"100m"},"requests":{"cpu":"200m"}}}]}`)},
		{0, createPod(`{}`, `{"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute"}],"priorityClassName":"system-node-critical"}`)},
		{0, createPod(`{"name":"Bad_Name"}`, `{}`)},
		{0, createPod(`{"namespace":"other"}`, `{}`)},
		{1, createPod(`{}`, `{}`)},
		{2, createPod(`{"bogus":1}`, `{"containers":[{"name":"app","image":"busybox","bogus":true}]}`)},
		{4, createPod(`{}`, `{"containers":[{"name":"app","image":"busybox","bogus":true}]}`)},
		{0, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"}}`},
		{0, `{"apiVersion":"v1","kind":"Node","metadata":{"name":"$NAME"}}`},
		{0, `[]`},
	})
	h := harness(f)
	n := 0
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		opts := DecodeOptions(mode)
		payload := Body(JSON, body, edits)
		n++
		name := "fc-" + strconv.Itoa(n)
		var vars [2]map[string]string
		for i := range vars {
			vars[i] = map[string]string{VarName: name, VarNS: h.NS}
		}
		path := "/api/v1/namespaces/" + h.NS + "/pods" + opts.Query()
		ans := h.Check(t, Case{
			Req:            Request{Method: http.MethodPost, Path: path, ContentType: JSON, Body: payload, Vars: vars},
			Pod:            name,
			NameFromAnswer: true,
			DryRun:         opts.DryRun,
			Input:          Describe("FuzzPodCreate", mode, JSON, opts.Query(), payload),
		})
		h.Forget(nil, name, ans, opts.DryRun)
	})
}
