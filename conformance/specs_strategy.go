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
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Strategy of pods/ephemeralcontainers and its neighbours. Upstream:
// podEphemeralContainersStrategy (PrepareForUpdate,
// dropNonEphemeralContainerUpdates, updatePodGeneration) in
// k8s.io/kubernetes pkg/registry/core/pod/strategy.go; ValidatePodUpdate and
// ValidatePodCreate in pkg/apis/core/validation/validation.go.
var _ = Describe("pods/ephemeralcontainers strategy", func() {
	API("strategy/labels, annotations and finalizers are dropped", func(f *F) {
		f.CreatePod(podName)
		out := f.PatchEC(podName, ctMerge, map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"new": "x"}, "annotations": map[string]any{"foo": "bar"}, "finalizers": []string{"example.com/f"}},
			"spec":     map[string]any{"ephemeralContainers": []any{EC("dbg")}},
		}).OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		Expect(out.Labels).To(Equal(map[string]string{"app": "conformance"}))
		Expect(out.Annotations).To(BeEmpty())
		Expect(out.Finalizers).To(BeEmpty())
	})

	API("strategy/container image changes are dropped", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		out := f.PatchEC(podName, ctSMP, map[string]any{"spec": map[string]any{
			"containers":          []any{map[string]any{"name": "app", "image": "other:2"}},
			"ephemeralContainers": []any{EC("dbg2")},
		}}).OK()
		Expect(out.Spec.Containers[0].Image).To(Equal(testImage()))
		Expect(ecNames(out)).To(ConsistOf("dbg", "dbg2"))
	})

	API("strategy/activeDeadlineSeconds is dropped", func(f *F) {
		f.CreatePod(podName)
		out := f.PatchEC(podName, ctMerge, map[string]any{"spec": map[string]any{"activeDeadlineSeconds": 30, "ephemeralContainers": []any{EC("dbg")}}}).OK()
		Expect(out.Spec.ActiveDeadlineSeconds).To(BeNil())
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
	})

	API("strategy/status changes are dropped", func(f *F) {
		before := f.CreatePod(podName)
		out := f.PatchEC(podName, ctMerge, map[string]any{"status": map[string]any{"message": "hello", "phase": "Running"}, "spec": map[string]any{"ephemeralContainers": []any{EC("dbg")}}}).OK()
		Expect(out.Status.Message).To(BeEmpty())
		Expect(out.Status.Phase).To(Equal(before.Status.Phase))
	})

	API("strategy/generation goes from 1 to 2 when an EC is added", func(f *F) {
		p := f.CreatePod(podName)
		Expect(p.Generation).To(BeEquivalentTo(1))
		Expect(f.AddEC(podName, EC("dbg")).OK().Generation).To(BeEquivalentTo(2))
		Expect(f.GetPod(podName).OK().Generation).To(BeEquivalentTo(2))
	})

	API("strategy/six ECs in one patch bump generation once", func(f *F) {
		f.CreatePod(podName)
		Expect(f.AddEC(podName, EC("a")).OK().Generation).To(BeEquivalentTo(2))
		out := f.AddEC(podName, EC("b1"), EC("b2"), EC("b3"), EC("b4"), EC("b5"), EC("b6")).OK()
		Expect(out.Spec.EphemeralContainers).To(HaveLen(7))
		Expect(out.Generation).To(BeEquivalentTo(3))
	})

	API("strategy/a no-op keeps resourceVersion and generation", func(f *F) {
		f.CreatePod(podName)
		p := f.AddEC(podName, EC("dbg")).OK()
		out := f.AddEC(podName).OK()
		Expect(out.ResourceVersion).To(Equal(p.ResourceVersion))
		Expect(out.Generation).To(Equal(p.Generation))
		again := f.AddEC(podName, EC("dbg")).OK()
		Expect(again.ResourceVersion).To(Equal(p.ResourceVersion))
	})

	API("strategy/dropped-only changes still record managedFields", func(f *F) {
		p := f.CreatePod(podName)
		out := f.PatchEC(podName, ctMerge, map[string]any{"metadata": map[string]any{"labels": map[string]any{"new": "x"}}}).OK()
		Expect(out.Labels).To(Equal(p.Labels))
		Expect(out.Generation).To(Equal(p.Generation))
		Expect(out.ResourceVersion).NotTo(Equal(p.ResourceVersion))
		var entry *metav1.ManagedFieldsEntry
		for i := range out.ManagedFields {
			if out.ManagedFields[i].Subresource == "ephemeralcontainers" {
				entry = &out.ManagedFields[i]
			}
		}
		Expect(entry).NotTo(BeNil())
		Expect(entry.FieldsV1.GetRawString()).To(Equal(`{"f:metadata":{"f:labels":{"f:new":{}}}}`))
	})

	API("strategy/strategic merge with a null list removes ECs and is rejected", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		f.PatchEC(podName, ctSMP, `{"spec":{"ephemeralContainers":null}}`).ExpectInvalid(podName,
			Forbidden("spec.ephemeralContainers", `existing ephemeral containers "a" may not be removed`+"\n"))
	})

	API("strategy/managedFields entry for kubectl-style patches", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodPatch, Path: f.ecPath(podName), ContentType: ctSMP, UserAgent: "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef0",
			Body: `{"spec":{"ephemeralContainers":[{"command":["sleep","100"],"image":"busybox","name":"debugger-k6v6n","resources":{},"securityContext":{"capabilities":{"add":["SYS_PTRACE"]}},"terminationMessagePolicy":"File"}]}}`})
		out := r.OK()
		var got []string
		for _, m := range out.ManagedFields {
			got = append(got, m.Manager+"/"+string(m.Operation)+"/"+m.Subresource)
			if m.Manager == "kubectl" {
				Expect(m.APIVersion).To(Equal("v1"))
				Expect(m.FieldsType).To(Equal("FieldsV1"))
				Expect(m.FieldsV1.GetRawString()).To(Equal(`{"f:spec":{"f:ephemeralContainers":{".":{},"k:{\"name\":\"debugger-k6v6n\"}":{".":{},"f:command":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:securityContext":{".":{},"f:capabilities":{".":{},"f:add":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}}}}`))
			}
		}
		Expect(got).To(Equal([]string{"ephemera-conformance/Update/", "kubectl/Update/ephemeralcontainers"}))
	})

	API("strategy/removing an EC with PUT is rejected", func(f *F) {
		f.CreatePod(podName)
		p := f.AddEC(podName, EC("a"), EC("b")).OK()
		p.Spec.EphemeralContainers = p.Spec.EphemeralContainers[:1]
		removed := "b"
		if p.Spec.EphemeralContainers[0].Name == "b" {
			removed = "a"
		}
		f.PutEC(podName, p).ExpectInvalid(podName, Forbidden("spec.ephemeralContainers", `existing ephemeral containers "`+removed+`" may not be removed`+"\n"))
	})

	API("strategy/removing all ECs with PUT is rejected", func(f *F) {
		f.CreatePod(podName)
		p := f.AddEC(podName, EC("a")).OK()
		p.Spec.EphemeralContainers = nil
		f.PutEC(podName, p).ExpectInvalid(podName, Forbidden("spec.ephemeralContainers", `existing ephemeral containers "a" may not be removed`+"\n"))
	})

	API("strategy/changing an EC is rejected with a diff", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a", "command", []string{"sleep", "1"})).OK()
		f.AddEC(podName, EC("a", "command", []string{"sleep", "2"})).ExpectInvalid(podName, Forbidden("spec.ephemeralContainers",
			"existing ephemeral containers \"a\" may not be changed\n@@ -3,7 +3,7 @@\n  \"Image\": \""+testImage()+"\",\n  \"Command\": [\n   \"sleep\",\n-  \"1\"\n+  \"2\"\n  ],\n  \"Args\": null,\n  \"WorkingDir\": \"\",\n"))
	})

	API("strategy/reordering ECs with PUT is allowed", func(f *F) {
		f.CreatePod(podName)
		p := f.addList(podName, EC("a"), EC("b")).OK()
		p.Spec.EphemeralContainers[0], p.Spec.EphemeralContainers[1] = p.Spec.EphemeralContainers[1], p.Spec.EphemeralContainers[0]
		out := f.PutEC(podName, p).OK()
		Expect(ecNames(out)).To(Equal([]string{"b", "a"}))
		Expect(out.Generation).To(BeEquivalentTo(3))
	})

	API("strategy/strategic merge without setElementOrder puts new ECs first", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		Expect(ecNames(f.AddEC(podName, EC("b")).OK())).To(Equal([]string{"b", "a"}))
	})

	API("strategy/strategic merge with setElementOrder keeps existing first", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		body := map[string]any{"spec": map[string]any{
			"$setElementOrder/ephemeralContainers": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}},
			"ephemeralContainers":                  []any{EC("b", "targetContainerName", "app")},
		}}
		out := f.PatchEC(podName, ctSMP, body).OK()
		Expect(ecNames(out)).To(Equal([]string{"a", "b"}))
		Expect(out.Spec.EphemeralContainers[1].TargetContainerName).To(Equal("app"))
	})

	API("strategy/plain pod update adding an EC is rejected", func(f *F) {
		p := f.CreatePod(podName)
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage(),
			ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile}}}
		r := f.Do(Req{Method: http.MethodPut, Path: f.podPath(podName), ContentType: ctJSON, Body: p})
		r.ExpectInvalid(podName, Forbidden("spec", podUpdateForbidden+"\n"+plainUpdateDiff()))
	})

	API("strategy/plain pod patch adding an EC with ports is rejected twice", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName), ContentType: ctSMP,
			Body: map[string]any{"spec": map[string]any{"ephemeralContainers": []any{EC("dbg", "imagePullPolicy", "IfNotPresent", "ports", []any{map[string]any{"containerPort": 80}})}}}})
		Expect(r.Code).To(Equal(422), "body: %s", r.Body)
		Expect(r.Status.Details.Causes).To(HaveLen(2))
		Expect(r.Status.Details.Causes[0]).To(Equal(metav1.StatusCause{Type: metav1.CauseTypeForbidden, Message: "Forbidden: " + ecForbidden, Field: "spec.ephemeralContainers[0].ports"}))
		Expect(r.Status.Details.Causes[1].Type).To(Equal(metav1.CauseTypeForbidden))
		Expect(r.Status.Details.Causes[1].Field).To(Equal("spec"))
		Expect(r.Status.Details.Causes[1].Message).To(HavePrefix("Forbidden: " + podUpdateForbidden + "\n@@ "))
		Expect(f.GetPod(podName).OK().Spec.EphemeralContainers).To(BeEmpty())
	})

	API("strategy/pod create with ECs is rejected", func(f *F) {
		p := basePod("p2")
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage()}}}
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("p2", Forbidden("spec.ephemeralContainers", "cannot be set on create"))
	})

	API("strategy/pod create with an invalid EC reports both errors", func(f *F) {
		p := basePod("p2")
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage(),
			Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}}
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("p2", Forbidden("spec.ephemeralContainers[0].ports", ecForbidden), Forbidden("spec.ephemeralContainers", "cannot be set on create"))
	})

	API("strategy/pods/status drops EC changes", func(f *F) {
		f.CreatePod(podName)
		r := f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName) + "/status", ContentType: ctMerge,
			Body: map[string]any{"spec": map[string]any{"ephemeralContainers": []any{EC("dbg")}}, "status": map[string]any{"message": "hi"}}})
		out := r.OK()
		Expect(out.Spec.EphemeralContainers).To(BeEmpty())
		Expect(out.Status.Message).To(Equal("hi"))
	})

	API("strategy/PUT can add ECs one at a time", func(f *F) {
		p := f.CreatePod(podName)
		for i, n := range []string{"a", "b", "c"} {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: n, Image: testImage()}})
			p = f.PutEC(podName, p).OK()
			Expect(p.Generation).To(BeEquivalentTo(2 + i))
		}
		Expect(ecNames(p)).To(Equal([]string{"a", "b", "c"}))
	})

	API("strategy/deletionGracePeriodSeconds is immutable", func(f *F) {
		f.CreatePod(podName, func(p *corev1.Pod) { p.Finalizers = []string{"example.com/hold"} })
		Expect(f.Client.CoreV1().Pods(f.NS).Delete(f.Ctx, podName, metav1.DeleteOptions{})).To(Succeed())
		p := f.GetPod(podName).OK()
		Expect(p.DeletionGracePeriodSeconds).NotTo(BeNil())
		p.DeletionGracePeriodSeconds = ptrInt64(*p.DeletionGracePeriodSeconds + 5)
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage()}}}
		f.PutEC(podName, p).ExpectInvalid(podName, Invalid("metadata.deletionGracePeriodSeconds", strconv.FormatInt(*p.DeletionGracePeriodSeconds, 10), "field is immutable"))
		// A nil value is restored from the stored pod instead.
		p.DeletionGracePeriodSeconds = nil
		Expect(ecNames(f.PutEC(podName, p).OK())).To(Equal([]string{"dbg"}))
		f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName), ContentType: ctMerge, Body: `{"metadata":{"finalizers":null}}`, NoRecord: true})
	})

	API("strategy/plain pod update omitting existing ECs is rejected", func(f *F) {
		f.CreatePod(podName)
		p := f.AddEC(podName, EC("dbg", "imagePullPolicy", "IfNotPresent")).OK()
		p.Spec.EphemeralContainers = nil
		r := f.Do(Req{Method: http.MethodPut, Path: f.podPath(podName), ContentType: ctJSON, Body: p})
		r.ExpectInvalid(podName, Forbidden("spec", podUpdateForbidden+"\n"+plainRemovalDiff()))
	})

	API("strategy/ECs can be added to a pod being deleted", func(f *F) {
		f.CreatePod(podName, func(p *corev1.Pod) { p.Finalizers = []string{"example.com/hold"} })
		Expect(f.Client.CoreV1().Pods(f.NS).Delete(f.Ctx, podName, metav1.DeleteOptions{})).To(Succeed())
		out := f.AddEC(podName, EC("dbg")).OK()
		Expect(out.DeletionTimestamp).NotTo(BeNil())
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
		// Let the namespace go.
		f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName), ContentType: ctMerge, Body: `{"metadata":{"finalizers":null}}`, NoRecord: true})
	})
})

// podUpdateForbidden is rule 43's message (ValidatePodUpdate).
const podUpdateForbidden = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// plainUpdateDiff is the unified diff (old → new internal PodSpec as
// 1-space-indented JSON with Go field names) captured from kube-apiserver
// v1.37.2 for adding EC "dbg" to basePod with a plain PUT.
func plainUpdateDiff() string {
	raw, _ := json.Marshal(testImage())
	return strings.ReplaceAll(plainUpdateDiffTemplate, "IMAGE", string(raw))
}

// plainRemovalDiff is the reverse diff (EC "dbg" removed by a plain PUT), as
// captured from kube-apiserver v1.37.2: the removed block comes first.
func plainRemovalDiff() string {
	lines := strings.SplitAfter(plainUpdateDiff(), "\n")
	// lines[0] hunk header, [1:4] context, [4] "- null", [5:39] "+ [...]" (34 lines), rest context.
	out := "@@ -109,40 +109,7 @@\n" + strings.Join(lines[1:4], "")
	for _, l := range lines[5:39] {
		out += "-" + l[1:]
	}
	out += "+" + lines[4][1:]
	return out + strings.Join(lines[39:], "")
}

const plainUpdateDiffTemplate = `@@ -109,7 +109,40 @@
    "TTY": false
   }
  ],
- "EphemeralContainers": null,
+ "EphemeralContainers": [
+  {
+   "Name": "dbg",
+   "Image": IMAGE,
+   "Command": null,
+   "Args": null,
+   "WorkingDir": "",
+   "Ports": null,
+   "EnvFrom": null,
+   "Env": null,
+   "Resources": {
+    "Limits": null,
+    "Requests": null,
+    "Claims": null
+   },
+   "ResizePolicy": null,
+   "RestartPolicy": null,
+   "RestartPolicyRules": null,
+   "VolumeMounts": null,
+   "VolumeDevices": null,
+   "LivenessProbe": null,
+   "ReadinessProbe": null,
+   "StartupProbe": null,
+   "Lifecycle": null,
+   "TerminationMessagePath": "/dev/termination-log",
+   "TerminationMessagePolicy": "File",
+   "ImagePullPolicy": "IfNotPresent",
+   "SecurityContext": null,
+   "Stdin": false,
+   "StdinOnce": false,
+   "TTY": false,
+   "TargetContainerName": ""
+  }
+ ],
  "RestartPolicy": "Always",
  "TerminationGracePeriodSeconds": 30,
  "ActiveDeadlineSeconds": null,
`
