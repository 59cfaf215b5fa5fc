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
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Subresource surface of pods/ephemeralcontainers: verbs, patch types,
// preconditions and handler-level errors. Upstream: the EphemeralContainersREST
// in k8s.io/kubernetes pkg/registry/core/pod/storage/storage.go and the
// generic handlers in k8s.io/apiserver pkg/endpoints/handlers.
var _ = Describe("pods/ephemeralcontainers surface", func() {
	notFound := func(r *Result, name string) {
		GinkgoHelper()
		r.ExpectStatus(http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("pods %q not found", name))
		r.ExpectDetails(name, "pods")
	}

	API("surface/GET returns the whole pod", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		sub := f.GetEC(podName)
		Expect(sub.Code).To(Equal(200))
		full := f.GetPod(podName)
		var a, b map[string]any
		Expect(json.Unmarshal(sub.Body, &a)).To(Succeed())
		Expect(json.Unmarshal(full.Body, &b)).To(Succeed())
		Expect(a).To(Equal(b))
		Expect(a["kind"]).To(Equal("Pod"))
		Expect(a["apiVersion"]).To(Equal("v1"))
		Expect(a).To(HaveKey("status"))
		Expect(sub.Pod().Spec.Containers).To(HaveLen(1))
	})

	API("surface/GET on a missing pod is 404 with details", func(f *F) {
		notFound(f.GetEC("nope"), "nope")
	})

	API("surface/PUT via client-go UpdateEphemeralContainers adds an EC", func(f *F) {
		p := f.CreatePod(podName)
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage(), ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError},
		})
		out, err := f.Client.CoreV1().Pods(f.NS).UpdateEphemeralContainers(f.Ctx, podName, p, metav1.UpdateOptions{})
		f.Record("UpdateEphemeralContainers", out, err)
		Expect(err).NotTo(HaveOccurred())
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		Expect(out.Spec.EphemeralContainers[0].TerminationMessagePolicy).To(Equal(corev1.TerminationMessageFallbackToLogsOnError))
		Expect(out.Generation).To(BeEquivalentTo(2))
		Expect(ecNames(f.GetPod(podName).OK())).To(Equal([]string{"dbg"}))
	})

	API("surface/PUT without resourceVersion is an unconditional update", func(f *F) {
		p := f.CreatePod(podName)
		p.ResourceVersion = ""
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage()}}}
		out := f.PutEC(podName, p).OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		Expect(out.ResourceVersion).NotTo(Equal(p.ResourceVersion))
	})

	API("surface/PUT without apiVersion and kind defaults to v1 Pod", func(f *F) {
		p := f.CreatePod(podName)
		raw, _ := json.Marshal(p)
		var m map[string]any
		Expect(json.Unmarshal(raw, &m)).To(Succeed())
		delete(m, "apiVersion")
		delete(m, "kind")
		m["spec"].(map[string]any)["ephemeralContainers"] = []any{EC("dbg")}
		Expect(ecNames(f.PutEC(podName, m).OK())).To(Equal([]string{"dbg"}))
	})

	API("surface/PATCH strategic merge adds an EC", func(f *F) {
		f.CreatePod(podName)
		out := f.AddEC(podName, EC("dbg", "command", []string{"sleep", "100"})).OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		Expect(out.Spec.EphemeralContainers[0].Command).To(Equal([]string{"sleep", "100"}))
	})

	API("surface/PATCH merge patch adds an EC with the full list", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		cur := f.GetEC(podName).OK()
		list := []any{}
		raw, _ := json.Marshal(cur.Spec.EphemeralContainers)
		Expect(json.Unmarshal(raw, &list)).To(Succeed())
		list = append(list, EC("b"))
		out := f.PatchEC(podName, ctMerge, map[string]any{"spec": map[string]any{"ephemeralContainers": list}}).OK()
		Expect(ecNames(out)).To(Equal([]string{"a", "b"}))
	})

	API("surface/PATCH merge patch omitting existing ECs is rejected", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		f.PatchEC(podName, ctMerge, `{"spec":{"ephemeralContainers":[]}}`).ExpectInvalid(podName,
			Forbidden("spec.ephemeralContainers", "existing ephemeral containers \"a\" may not be removed\n"))
	})

	API("surface/PATCH JSON patch adds the list", func(f *F) {
		f.CreatePod(podName)
		out := f.PatchEC(podName, ctJSONP, []any{map[string]any{"op": "add", "path": "/spec/ephemeralContainers", "value": []any{EC("dbg")}}}).OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
	})

	API("surface/PATCH JSON patch appends with /-", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		out := f.PatchEC(podName, ctJSONP, []any{map[string]any{"op": "add", "path": "/spec/ephemeralContainers/-", "value": EC("b")}}).OK()
		Expect(ecNames(out)).To(Equal([]string{"a", "b"}))
	})

	API("surface/PATCH JSON patch append to an absent list fails to apply", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctJSONP, []any{map[string]any{"op": "add", "path": "/spec/ephemeralContainers/-", "value": EC("b")}})
		r.ExpectStatus(422, metav1.StatusReasonInvalid, "the server rejected our request due to an error in our request")
		Expect(r.Status.Details).To(Equal(&metav1.StatusDetails{}))
	})

	API("surface/PATCH JSON patch with a failing test op", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctJSONP, []any{
			map[string]any{"op": "test", "path": "/metadata/name", "value": "other"},
			map[string]any{"op": "add", "path": "/spec/ephemeralContainers", "value": []any{EC("dbg")}},
		})
		r.ExpectStatus(422, metav1.StatusReasonInvalid, "the server rejected our request due to an error in our request")
		Expect(ecNames(f.GetPod(podName).OK())).To(BeEmpty())
	})

	API("surface/PATCH JSON patch removing an EC is rejected", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		f.PatchEC(podName, ctJSONP, `[{"op":"remove","path":"/spec/ephemeralContainers/0"}]`).ExpectInvalid(podName,
			Forbidden("spec.ephemeralContainers", "existing ephemeral containers \"a\" may not be removed\n"))
	})

	applyBody := func(ecs ...any) string {
		raw, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": podName},
			"spec": map[string]any{"ephemeralContainers": ecs}})
		return string(raw)
	}

	API("surface/server-side apply adds an EC with a fieldManager", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("first")).OK()
		out := f.PatchEC(podName, ctApply, applyBody(EC("ssa1")), "fieldManager=ssa-tester").OK()
		Expect(ecNames(out)).To(Equal([]string{"first", "ssa1"}))
		var entry *metav1.ManagedFieldsEntry
		for i := range out.ManagedFields {
			if out.ManagedFields[i].Manager == "ssa-tester" {
				entry = &out.ManagedFields[i]
			}
		}
		Expect(entry).NotTo(BeNil())
		Expect(entry.Operation).To(Equal(metav1.ManagedFieldsOperationApply))
		Expect(entry.Subresource).To(Equal("ephemeralcontainers"))
		Expect(entry.FieldsV1.GetRawString()).To(ContainSubstring(`"k:{\"name\":\"ssa1\"}"`))
	})

	API("surface/server-side apply requires a fieldManager", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctApply, applyBody(EC("ssa1")))
		Expect(r.Code).To(Equal(422), "body: %s", r.Body)
		Expect(r.Status.Reason).To(Equal(metav1.StatusReasonInvalid))
		Expect(r.Status.Message).To(Equal(`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`))
	})

	API("surface/server-side apply conflicts with another manager", func(f *F) {
		f.CreatePod(podName)
		f.PatchEC(podName, ctApply, applyBody(EC("e1")), "fieldManager=curl").OK()
		r := f.PatchEC(podName, ctApply, applyBody(EC("e1", "image", "busybox:1.37")), "fieldManager=other")
		r.ExpectStatus(409, metav1.StatusReasonConflict, `Apply failed with 1 conflict: conflict with "curl" with subresource "ephemeralcontainers": .spec.ephemeralContainers[name="e1"].image`)
		Expect(r.Status.Details.Causes).To(Equal([]metav1.StatusCause{{
			Type: "FieldManagerConflict", Message: `conflict with "curl" with subresource "ephemeralcontainers"`,
			Field: `.spec.ephemeralContainers[name="e1"].image`,
		}}))
	})

	API("surface/server-side apply dropping an owned EC is rejected", func(f *F) {
		f.CreatePod(podName)
		f.PatchEC(podName, ctApply, applyBody(EC("ssa1")), "fieldManager=ssa").OK()
		f.PatchEC(podName, ctApply, applyBody(EC("ssa2")), "fieldManager=ssa").ExpectInvalid(podName,
			Forbidden("spec.ephemeralContainers", "existing ephemeral containers \"ssa1\" may not be removed\n"))
	})

	API("surface/POST is 405", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodPost, Path: f.ecPath(podName), ContentType: ctJSON, Body: basePod(podName)})
		r.ExpectStatus(405, metav1.StatusReasonMethodNotAllowed, "the server does not allow this method on the requested resource")
		Expect(r.Status.Details).To(Equal(&metav1.StatusDetails{}))
	})

	API("surface/DELETE is 405", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodDelete, Path: f.ecPath(podName)})
		r.ExpectStatus(405, metav1.StatusReasonMethodNotAllowed, "the server does not allow this method on the requested resource")
		Expect(r.Status.Details).To(Equal(&metav1.StatusDetails{}))
		f.GetPod(podName).OK()
	})

	API("surface/PUT on a missing pod is 404", func(f *F) {
		p := basePod("nope")
		p.Namespace = f.NS
		notFound(f.PutEC("nope", p), "nope")
	})

	API("surface/strategic merge patch on a missing pod is 404", func(f *F) {
		notFound(f.AddEC("nope", EC("dbg")), "nope")
	})

	API("surface/apply on a missing pod is 404", func(f *F) {
		raw, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "nope"},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": testImage()}}, "ephemeralContainers": []any{EC("dbg")}}})
		notFound(f.PatchEC("nope", ctApply, raw, "fieldManager=ssa"), "nope")
	})

	API("surface/PUT with a stale resourceVersion is 409", func(f *F) {
		p := f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "b", Image: testImage()}}}
		r := f.PutEC(podName, p)
		r.ExpectStatus(409, metav1.StatusReasonConflict, `Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again`)
		r.ExpectDetails(podName, "pods")
	})

	API("surface/merge patch with a stale resourceVersion is 409", func(f *F) {
		p := f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		r := f.PatchEC(podName, ctMerge, map[string]any{"metadata": map[string]any{"resourceVersion": p.ResourceVersion}})
		r.ExpectStatus(409, metav1.StatusReasonConflict, `Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again`)
		r.ExpectDetails(podName, "pods")
	})

	API("surface/PUT with a wrong uid is 409", func(f *F) {
		p := f.CreatePod(podName)
		stored := p.UID
		p.UID = "00000000-0000-0000-0000-000000000001"
		p.ResourceVersion = ""
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "b", Image: testImage()}}}
		r := f.PutEC(podName, p)
		r.ExpectStatus(409, metav1.StatusReasonConflict, fmt.Sprintf(
			`Operation cannot be fulfilled on pods "p1": StorageError: invalid object, Code: 4, Key: /registry/pods/%s/p1, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: %s, UID in object meta: %s`,
			f.NS, p.UID, stored))
		r.ExpectDetails(podName, "pods")
	})

	API("surface/dryRun=All on PUT persists nothing", func(f *F) {
		p := f.CreatePod(podName)
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage()}}}
		out := f.PutEC(podName, p, "dryRun=All").OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		Expect(out.Generation).To(BeEquivalentTo(2))
		after := f.GetPod(podName).OK()
		Expect(after.Spec.EphemeralContainers).To(BeEmpty())
		Expect(after.Generation).To(BeEquivalentTo(1))
		Expect(after.ResourceVersion).To(Equal(p.ResourceVersion))
	})

	API("surface/dryRun=All on PATCH persists nothing", func(f *F) {
		p := f.CreatePod(podName)
		out := f.PatchEC(podName, ctSMP, map[string]any{"spec": map[string]any{"ephemeralContainers": []any{EC("dbg")}}}, "dryRun=All").OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		after := f.GetPod(podName).OK()
		Expect(after.Spec.EphemeralContainers).To(BeEmpty())
		Expect(after.ResourceVersion).To(Equal(p.ResourceVersion))
	})

	API("surface/PATCH with application/json is 415", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctJSON, `{"spec":{"ephemeralContainers":[]}}`)
		Expect(r.Code).To(Equal(415))
		Expect(r.Status).NotTo(BeNil(), "body: %s", r.Body)
		Expect(r.Status.Reason).To(Equal(metav1.StatusReasonUnsupportedMediaType))
		Expect(r.Status.Message).To(Equal("415: Unsupported Media Type"))
		Expect(r.Status.Details).To(Equal(&metav1.StatusDetails{}))
	})

	API("surface/PUT with text/plain is 415", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodPut, Path: f.ecPath(podName), ContentType: "text/plain", Body: "hello"})
		r.ExpectStatus(415, metav1.StatusReasonUnsupportedMediaType,
			"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
	})

	API("surface/GET as Table is 406", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodGet, Path: f.ecPath(podName), Accept: "application/json;as=Table;v=v1;g=meta.k8s.io"})
		r.ExpectStatus(406, metav1.StatusReasonNotAcceptable,
			"only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf")
	})

	API("surface/GET as Table with a JSON fallback returns the pod", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodGet, Path: f.ecPath(podName), Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
		Expect(r.OK().Name).To(Equal(podName))
	})

	API("surface/GET as PartialObjectMetadata", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodGet, Path: f.ecPath(podName), Accept: "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"})
		Expect(r.Code).To(Equal(200), "body: %s", r.Body)
		var m metav1.PartialObjectMetadata
		Expect(json.Unmarshal(r.Body, &m)).To(Succeed())
		Expect(m.Kind).To(Equal("PartialObjectMetadata"))
		Expect(m.APIVersion).To(Equal("meta.k8s.io/v1"))
		Expect(m.Name).To(Equal(podName))
	})

	API("surface/a body over 3 MiB is 413", func(f *F) {
		f.CreatePod(podName)
		big := `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox","command":["` + strings.Repeat("x", 3<<20) + `"]}]}}`
		r := f.PatchEC(podName, ctSMP, big)
		r.ExpectStatus(413, metav1.StatusReasonRequestEntityTooLarge, "Request entity too large: limit is 3145728")
	})

	API("surface/PUT with a mismatched name is 400", func(f *F) {
		p := f.CreatePod(podName)
		p.Name = "other"
		f.PutEC(podName, p).ExpectStatus(400, metav1.StatusReasonBadRequest, "the name of the object (other) does not match the name on the URL (p1)")
	})

	API("surface/PUT with a mismatched namespace is 400", func(f *F) {
		p := f.CreatePod(podName)
		p.Namespace = "elsewhere"
		f.PutEC(podName, p).ExpectStatus(400, metav1.StatusReasonBadRequest, "the namespace of the provided object does not match the namespace sent on the request")
	})

	API("surface/PUT with a wrong kind is 400", func(f *F) {
		f.CreatePod(podName)
		f.PutEC(podName, map[string]any{"apiVersion": "v1", "kind": "EphemeralContainers", "metadata": map[string]any{"name": podName}}).ExpectStatus(400, metav1.StatusReasonBadRequest,
			`EphemeralContainers in version "v1" cannot be handled as a Pod: no kind "EphemeralContainers" is registered for version "v1" in scheme "pkg/runtime/scheme.go:111"`)
	})

	// A body of another core/v1 kind decodes into its own type and then fails
	// conversion to the resource's internal type, which upstream names as
	// k8s.io/kubernetes/pkg/apis/core.Pod (found by the differential fuzzer).
	API("surface/PUT of another core kind is 400 naming the internal type", func(f *F) {
		f.CreatePod(podName)
		f.PutEC(podName, map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": podName}}).ExpectStatus(400, metav1.StatusReasonBadRequest,
			`Node in version "v1" cannot be handled as a Pod: converting (v1.Node) to (core.Pod): unknown conversion`)
		Expect(ecNames(f.GetPod(podName).OK())).To(BeEmpty())
	})

	// A merge or JSON patch that removes apiVersion leaves an object the
	// patch handler decodes with no default version, so kube-apiserver reads
	// it into its internal type, whose fields have no JSON tags: "metadata",
	// "spec" and "status" are unknown and the name is gone (found by the
	// differential fuzzer; see internal/internaldecode).
	API("surface/PATCH removing apiVersion decodes into the internal layout", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctMerge, `{"apiVersion":null}`)
		r.ExpectStatus(400, metav1.StatusReasonBadRequest, `the name of the object (p1 based on URL) was undeterminable: name must be provided`)
		Expect(r.Warnings).To(Equal([]string{`299 - "unknown field \"metadata\""`, `299 - "unknown field \"spec\""`, `299 - "unknown field \"status\""`}))
		r = f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName), ContentType: ctJSONP,
			Body: `[{"op":"remove","path":"/apiVersion"},{"op":"add","path":"/name","value":"p1"}]`})
		r.ExpectInvalid(podName, Required("spec.terminationGracePeriodSeconds", ""), Required("spec.containers", ""),
			Required("spec.restartPolicy", ""), Required("spec.dnsPolicy", ""),
			Forbidden("spec.containers", "pod updates may not add or remove containers"))
		Expect(ecNames(f.GetPod(podName).OK())).To(BeEmpty())
	})

	// Nearly every upstream strategy embeds rest.DeclarativeValidation,
	// whose pass over the handwritten errors drops exact repeats (found by
	// the differential fuzzer: two empty finalizers each give the same
	// index-less error). See strategy/validation DeclarativePass.
	API("surface/a repeated validation error is reported once", func(f *F) {
		for _, target := range []struct{ path, kind, apiVersion, name string }{
			{"/api/v1/namespaces/" + f.NS + "/configmaps", "ConfigMap", "v1", "dup"},
			{"/apis/rbac.authorization.k8s.io/v1/clusterroles", "ClusterRole", "rbac.authorization.k8s.io/v1", f.ClusterName("dup")},
		} {
			r := f.Do(Req{Method: http.MethodPost, Path: target.path, ContentType: ctJSON, Body: map[string]any{
				"apiVersion": target.apiVersion, "kind": target.kind,
				"metadata": map[string]any{"name": target.name, "finalizers": []any{"", ""}}}})
			Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
			n := 0
			for _, c := range r.Status.Details.Causes {
				if c.Field == "metadata.finalizers" && c.Message == `Invalid value: "": name part must be non-empty` {
					n++
				}
			}
			Expect(n).To(Equal(1), "%s: causes %v", target.kind, r.Status.Details.Causes)
		}
	})

	API("surface/unknown field with fieldValidation=Strict is 422", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctSMP, `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox","bar":1}]}}`, "fieldValidation=Strict")
		r.ExpectStatus(422, metav1.StatusReasonInvalid,
			` "" is invalid: patch: Invalid value: "map[spec:map[ephemeralContainers:[map[bar:1 image:busybox name:dbg]]]]": strict decoding error: unknown field "spec.ephemeralContainers[0].bar"`)
		Expect(r.Status.Details.Causes).To(Equal([]metav1.StatusCause{{Type: metav1.CauseTypeFieldValueInvalid,
			Message: `Invalid value: "map[spec:map[ephemeralContainers:[map[bar:1 image:busybox name:dbg]]]]": strict decoding error: unknown field "spec.ephemeralContainers[0].bar"`, Field: "patch"}}))
		Expect(ecNames(f.GetPod(podName).OK())).To(BeEmpty())
	})

	API("surface/unknown field with fieldValidation=Warn warns", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctSMP, `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox","foo":1}]}}`, "fieldValidation=Warn")
		Expect(ecNames(r.OK())).To(Equal([]string{"dbg"}))
		Expect(r.Warnings).To(Equal([]string{`299 - "unknown field \"spec.ephemeralContainers[0].foo\""`}))
	})

	API("surface/unknown field by default warns", func(f *F) {
		f.CreatePod(podName)
		r := f.PatchEC(podName, ctMerge, `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox","foo":1}]}}`)
		Expect(ecNames(r.OK())).To(Equal([]string{"dbg"}))
		Expect(r.Warnings).To(Equal([]string{`299 - "unknown field \"spec.ephemeralContainers[0].foo\""`}))
	})

	API("surface/unknown pod subresource is a generic 404", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodGet, Path: f.podPath(podName) + "/foo"})
		r.ExpectStatus(404, metav1.StatusReasonNotFound, "the server could not find the requested resource")
		Expect(r.Status.Details).To(Equal(&metav1.StatusDetails{}))
	})

	API("surface/discovery lists pods/ephemeralcontainers with get, patch, update", func(f *F) {
		r := f.Do(Req{Method: http.MethodGet, Path: "/api/v1", NoRecord: true})
		Expect(r.Code).To(Equal(200))
		var list metav1.APIResourceList
		Expect(json.Unmarshal(r.Body, &list)).To(Succeed())
		var found *metav1.APIResource
		for i := range list.APIResources {
			if list.APIResources[i].Name == "pods/ephemeralcontainers" {
				found = &list.APIResources[i]
			}
		}
		Expect(found).NotTo(BeNil())
		Expect(found.Kind).To(Equal("Pod"))
		Expect(found.Namespaced).To(BeTrue())
		Expect(found.SingularName).To(Equal(""))
		Expect([]string(found.Verbs)).To(Equal([]string{"get", "patch", "update"}))
		// Record only this entry: the rest of the discovery document
		// legitimately differs between a full kube-apiserver and Ephemera.
		f.Note("discovery entry", found)
	})
})
