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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
)

// Validation of ephemeral containers on pods/ephemeralcontainers. Upstream:
// ValidatePodEphemeralContainersUpdate, validateEphemeralContainers and
// validateContainerCommon in k8s.io/kubernetes pkg/apis/core/validation/validation.go.
// One scenario per rule; every scenario asserts code, reason, the full
// message and every cause (type, field, message) in order.

const ecForbidden = "cannot be set for an Ephemeral Container"

// dnsLabelMsg is the DNS-1123 label regex message, double space included
// (k8s.io/apimachinery pkg/util/validation RegexError).
const dnsLabelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

type invalidCase struct {
	name   string
	pod    []func(*corev1.Pod)
	ecs    []any // added in one JSON patch ("add /spec/ephemeralContainers")
	causes []Cause
}

// addList adds ECs as a whole list with a JSON patch so indexes are exactly
// those of ecs (strategic merge would reorder).
func (f *F) addList(pod string, ecs ...any) *Result {
	GinkgoHelper()
	return f.PatchEC(pod, ctJSONP, []any{map[string]any{"op": "add", "path": "/spec/ephemeralContainers", "value": ecs}})
}

func ec0(rest string) string { return fieldEC(0, rest) }

func withOS(os corev1.OSName) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: os} }
}

func mirror(p *corev1.Pod) {
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations["kubernetes.io/config.mirror"] = "mirror"
	// Upstream pod validation requires a nodeName on mirror pods.
	p.Spec.NodeName = "node-1"
}

func noHostUsers(p *corev1.Pod) { f := false; p.Spec.HostUsers = &f }

func withPVC(p *corev1.Pod) {
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "blk", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim"}}})
}

var invalidCases = []invalidCase{
	// Rule 6: the allowlist. Each disallowed field gives one Forbidden.
	{name: "forbidden field ports", ecs: []any{EC("dbg", "ports", []any{map[string]any{"containerPort": 80}})},
		causes: []Cause{Forbidden(ec0("ports"), ecForbidden)}},
	{name: "forbidden field resources", ecs: []any{EC("dbg", "resources", map[string]any{"limits": map[string]any{"cpu": "1"}})},
		causes: []Cause{Forbidden(ec0("resources"), ecForbidden)}},
	{name: "forbidden field resizePolicy", ecs: []any{EC("dbg", "resizePolicy", []any{map[string]any{"resourceName": "cpu", "restartPolicy": "NotRequired"}})},
		causes: []Cause{Forbidden(ec0("resizePolicy"), ecForbidden)}},
	{name: "forbidden field restartPolicy", ecs: []any{EC("dbg", "restartPolicy", "Always")},
		causes: []Cause{Forbidden(ec0("restartPolicy"), ecForbidden)}},
	{name: "forbidden field livenessProbe", ecs: []any{EC("dbg", "livenessProbe", map[string]any{"exec": map[string]any{"command": []string{"true"}}})},
		causes: []Cause{Forbidden(ec0("livenessProbe"), ecForbidden)}},
	{name: "forbidden field readinessProbe", ecs: []any{EC("dbg", "readinessProbe", map[string]any{"exec": map[string]any{"command": []string{"true"}}})},
		causes: []Cause{Forbidden(ec0("readinessProbe"), ecForbidden)}},
	{name: "forbidden field startupProbe", ecs: []any{EC("dbg", "startupProbe", map[string]any{"exec": map[string]any{"command": []string{"true"}}})},
		causes: []Cause{Forbidden(ec0("startupProbe"), ecForbidden)}},
	{name: "forbidden field lifecycle", ecs: []any{EC("dbg", "lifecycle", map[string]any{"postStart": map[string]any{"exec": map[string]any{"command": []string{"true"}}}})},
		causes: []Cause{Forbidden(ec0("lifecycle"), ecForbidden)}},
	{name: "forbidden volumeMount subPath", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": "/data", "subPath": "x"}})},
		causes: []Cause{Forbidden(ec0("volumeMounts[0].subPath"), ecForbidden)}},
	{name: "forbidden volumeMount subPathExpr", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": "/data", "subPathExpr": "x"}})},
		causes: []Cause{Forbidden(ec0("volumeMounts[0].subPathExpr"), ecForbidden)}},
	{name: "several forbidden fields in struct order", ecs: []any{EC("dbg",
		"lifecycle", map[string]any{"postStart": map[string]any{"exec": map[string]any{"command": []string{"true"}}}},
		"ports", []any{map[string]any{"containerPort": 80}},
		"resources", map[string]any{"limits": map[string]any{"cpu": "1"}})},
		causes: []Cause{Forbidden(ec0("ports"), ecForbidden), Forbidden(ec0("resources"), ecForbidden), Forbidden(ec0("lifecycle"), ecForbidden)}},
	// Rule 6 compares with the zero value: empty lists and maps count as set.
	{name: "empty ports list counts as set", ecs: []any{EC("dbg", "ports", []any{})},
		causes: []Cause{Forbidden(ec0("ports"), ecForbidden)}},
	{name: "empty resources limits map counts as set", ecs: []any{EC("dbg", "resources", map[string]any{"limits": map[string]any{}})},
		causes: []Cause{Forbidden(ec0("resources"), ecForbidden)}},
	{name: "empty lifecycle counts as set", ecs: []any{EC("dbg", "lifecycle", map[string]any{})},
		causes: []Cause{Forbidden(ec0("lifecycle"), ecForbidden)}},
	// Names (rules 4, 10, 11).
	{name: "name required", ecs: []any{EC("")},
		causes: []Cause{Required(ec0("name"), "")}},
	{name: "name not a DNS label", ecs: []any{EC("Dbg_1")},
		causes: []Cause{Invalid(ec0("name"), `"Dbg_1"`, dnsLabelMsg)}},
	{name: "name with dots", ecs: []any{EC("dbg.x")},
		causes: []Cause{Invalid(ec0("name"), `"dbg.x"`, "must not contain dots")}},
	{name: "name longer than 63", ecs: []any{EC(strings.Repeat("a", 64))},
		causes: []Cause{Invalid(ec0("name"), `"`+strings.Repeat("a", 64)+`"`, "must be no more than 63 characters")}},
	{name: "name duplicates a container", ecs: []any{EC("app")},
		causes: []Cause{Duplicate(ec0("name"), `"app"`)}},
	{name: "name duplicates an init container", ecs: []any{EC("init")},
		causes: []Cause{Duplicate(ec0("name"), `"init"`)}},
	{name: "name duplicates another EC in the request", ecs: []any{EC("d"), EC("d")},
		causes: []Cause{Duplicate(fieldEC(1, "name"), `"d"`)}},
	// targetContainerName (rule 5).
	{name: "targetContainerName not found", ecs: []any{EC("dbg", "targetContainerName", "nope")},
		causes: []Cause{NotFound(ec0("targetContainerName"), `"nope"`)}},
	{name: "targetContainerName naming an EC", ecs: []any{EC("a"), EC("b", "targetContainerName", "a")},
		causes: []Cause{NotFound(fieldEC(1, "targetContainerName"), `"a"`)}},
	{name: "targetContainerName naming itself", ecs: []any{EC("a", "targetContainerName", "a")},
		causes: []Cause{NotFound(ec0("targetContainerName"), `"a"`)}},
	// Image (rules 9, 12).
	{name: "image required", ecs: []any{EC("dbg", "image", "")},
		causes: []Cause{Required(ec0("image"), "")}},
	{name: "image with surrounding whitespace", ecs: []any{EC("dbg", "image", " busybox ")},
		causes: []Cause{Invalid(ec0("image"), `" busybox "`, "must not have leading or trailing whitespace")}},
	// Policies (rules 14, 20).
	{name: "imagePullPolicy unsupported", ecs: []any{EC("dbg", "imagePullPolicy", "Sometimes")},
		causes: []Cause{NotSupported(ec0("imagePullPolicy"), `"Sometimes"`, `"Always", "IfNotPresent", "Never"`)}},
	{name: "terminationMessagePolicy unsupported", ecs: []any{EC("dbg", "terminationMessagePolicy", "Sometimes")},
		causes: []Cause{NotSupported(ec0("terminationMessagePolicy"), `"Sometimes"`, `"File", "FallbackToLogsOnError"`)}},
	// Env and envFrom (rules 16, 17).
	{name: "env name required", ecs: []any{EC("dbg", "env", []any{map[string]any{"name": "", "value": "x"}})},
		causes: []Cause{Required(ec0("env[0].name"), "")}},
	{name: "env name with equals sign", ecs: []any{EC("dbg", "env", []any{map[string]any{"name": "A=B", "value": "x"}})},
		causes: []Cause{Invalid(ec0("env[0].name"), `"A=B"`, "a valid environment variable name must consist only of printable ASCII characters other than '='")}},
	{name: "env valueFrom without a source", ecs: []any{EC("dbg", "env", []any{map[string]any{"name": "A", "valueFrom": map[string]any{}}})},
		causes: []Cause{Invalid(ec0("env[0].valueFrom"), `""`, "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`")}},
	{name: "env valueFrom with value", ecs: []any{EC("dbg", "env", []any{map[string]any{"name": "A", "value": "x", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}}})},
		causes: []Cause{Invalid(ec0("env[0].valueFrom"), `""`, "may not be specified when `value` is not empty")}},
	{name: "envFrom without a source uses the list path", ecs: []any{EC("dbg", "envFrom", []any{map[string]any{}})},
		causes: []Cause{Invalid(ec0("envFrom"), `""`, "must specify one of: `configMapRef` or `secretRef`")}},
	// Volume mounts (rule 18).
	{name: "volumeMount of an unknown volume", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "missing", "mountPath": "/m"}})},
		causes: []Cause{NotFound(ec0("volumeMounts[0].name"), `"missing"`)}},
	{name: "volumeMount mountPath required", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": ""}})},
		causes: []Cause{Required(ec0("volumeMounts[0].mountPath"), "")}},
	{name: "volumeMount mountPropagation unsupported uses the list path", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": "/m", "mountPropagation": "Sideways"}})},
		causes: []Cause{NotSupported(ec0("volumeMounts.mountPropagation"), `"Sideways"`, `"Bidirectional", "HostToContainer", "None"`)}},
	{name: "volumeMount Bidirectional needs privileged", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": "/m", "mountPropagation": "Bidirectional"}})},
		causes: []Cause{Forbidden(ec0("volumeMounts.mountPropagation"), "Bidirectional mount propagation is available only to privileged containers")}},
	{name: "volumeMount subPath content error before Forbidden", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": "/m", "subPath": "../x"}})},
		causes: []Cause{Invalid(ec0("volumeMounts.subPath"), `"../x"`, "must not contain '..'"), Forbidden(ec0("volumeMounts[0].subPath"), ecForbidden)}},
	// Security context (rules 24-28).
	{name: "securityContext runAsUser out of range", ecs: []any{EC("dbg", "securityContext", map[string]any{"runAsUser": -1})},
		causes: []Cause{Invalid(ec0("securityContext.runAsUser"), "-1", "must be between 0 and 2147483647, inclusive")}},
	{name: "securityContext runAsGroup out of range", ecs: []any{EC("dbg", "securityContext", map[string]any{"runAsGroup": 2147483648})},
		causes: []Cause{Invalid(ec0("securityContext.runAsGroup"), "2147483648", "must be between 0 and 2147483647, inclusive")}},
	{name: "securityContext procMount unsupported", ecs: []any{EC("dbg", "securityContext", map[string]any{"procMount": "Weird"})},
		causes: []Cause{NotSupported(ec0("securityContext.procMount"), `"Weird"`, `"Default", "Unmasked"`)}},
	{name: "securityContext procMount Unmasked needs hostUsers false", ecs: []any{EC("dbg", "securityContext", map[string]any{"procMount": "Unmasked"})},
		causes: []Cause{Invalid(ec0("securityContext.procMount"), `"Unmasked"`, "`hostUsers` must be false to use `Unmasked`")}},
	{name: "securityContext allowPrivilegeEscalation false with privileged", ecs: []any{EC("dbg", "securityContext", map[string]any{"privileged": true, "allowPrivilegeEscalation": false})},
		causes: []Cause{Invalid(ec0("securityContext"), `{"Capabilities":null,"Privileged":true,"SELinuxOptions":null,"WindowsOptions":null,"RunAsUser":null,"RunAsGroup":null,"RunAsNonRoot":null,"ReadOnlyRootFilesystem":null,"AllowPrivilegeEscalation":false,"ProcMount":null,"SeccompProfile":null,"AppArmorProfile":null}`, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")}},
	{name: "securityContext seccompProfile type required", ecs: []any{EC("dbg", "securityContext", map[string]any{"seccompProfile": map[string]any{}})},
		causes: []Cause{Required(ec0("securityContext.seccompProfile.type"), "type is required when seccompProfile is set")}},
	{name: "securityContext seccompProfile Localhost needs a profile", ecs: []any{EC("dbg", "securityContext", map[string]any{"seccompProfile": map[string]any{"type": "Localhost"}})},
		causes: []Cause{Required(ec0("securityContext.seccompProfile.localhostProfile"), "must be set when seccomp type is Localhost")}},
	{name: "securityContext seccompProfile type unsupported", ecs: []any{EC("dbg", "securityContext", map[string]any{"seccompProfile": map[string]any{"type": "Weird"}})},
		causes: []Cause{NotSupported(ec0("securityContext.seccompProfile.type"), `"Weird"`, `"Localhost", "RuntimeDefault", "Unconfined"`)}},
	// OS rules (rules 33, 34).
	{name: "windowsOptions in a linux pod", pod: []func(*corev1.Pod){withOS(corev1.Linux)},
		ecs:    []any{EC("dbg", "securityContext", map[string]any{"windowsOptions": map[string]any{"runAsUserName": "u"}})},
		causes: []Cause{Forbidden(ec0("securityContext.windowsOptions"), "windows options cannot be set for a linux pod")}},
	{name: "linux-only securityContext fields in a windows pod", pod: []func(*corev1.Pod){withOS(corev1.Windows)},
		ecs: []any{EC("dbg", "securityContext", map[string]any{"runAsUser": 1000, "readOnlyRootFilesystem": true})},
		causes: []Cause{Forbidden(ec0("securityContext.readOnlyRootFilesystem"), "cannot be set for a windows pod"),
			Forbidden(ec0("securityContext.runAsUser"), "cannot be set for a windows pod")}},
	// Pod-level rules that look at ECs (rules 32, 39) and more content rules.
	{name: "volumeDevices forbidden when hostUsers is false", pod: []func(*corev1.Pod){noHostUsers, withPVC},
		ecs:    []any{EC("dbg", "volumeDevices", []any{map[string]any{"name": "blk", "devicePath": "/dev/blk"}})},
		causes: []Cause{Forbidden(ec0("volumeDevices"), "when `hostUsers` is false")}},
	{name: "volumeDevices need a block-capable volume", ecs: []any{EC("dbg", "volumeDevices", []any{map[string]any{"name": "vol", "devicePath": "/dev/blk"}})},
		causes: []Cause{Invalid(ec0("volumeDevices[0].name"), `"vol"`, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode")}},
	{name: "env fileKeyRef naming an unknown volume", ecs: []any{EC("dbg", "env", []any{map[string]any{"name": "A", "valueFrom": map[string]any{"fileKeyRef": map[string]any{"volumeName": "missing", "path": "f", "key": "k"}}}})},
		causes: []Cause{NotFound(ec0("env[0].valueFrom.fileKeyRef.volumeName"), `"missing"`)}},
	{name: "volumeMount recursiveReadOnly needs readOnly", ecs: []any{EC("dbg", "volumeMounts", []any{map[string]any{"name": "vol", "mountPath": "/m", "recursiveReadOnly": "Enabled"}})},
		causes: []Cause{Forbidden(ec0("volumeMounts.recursiveReadOnly"), "may only be specified when readOnly is true")}},
	{name: "securityContext seccomp localhostProfile with another type", ecs: []any{EC("dbg", "securityContext", map[string]any{"seccompProfile": map[string]any{"type": "RuntimeDefault", "localhostProfile": "p.json"}})},
		causes: []Cause{Invalid(ec0("securityContext.seccompProfile.localhostProfile"), `{"Type":"RuntimeDefault","LocalhostProfile":"p.json"}`, "can only be set when seccomp type is Localhost")}},
	{name: "securityContext appArmorProfile type required", ecs: []any{EC("dbg", "securityContext", map[string]any{"appArmorProfile": map[string]any{}})},
		causes: []Cause{Required(ec0("securityContext.appArmorProfile.type"), "type is required when appArmorProfile is set")}},
	{name: "securityContext CAP_SYS_ADMIN with allowPrivilegeEscalation false", ecs: []any{EC("dbg", "securityContext", map[string]any{"allowPrivilegeEscalation": false, "capabilities": map[string]any{"add": []string{"CAP_SYS_ADMIN"}}})},
		causes: []Cause{Invalid(ec0("securityContext"), `{"Capabilities":{"Add":["CAP_SYS_ADMIN"],"Drop":null},"Privileged":null,"SELinuxOptions":null,"WindowsOptions":null,"RunAsUser":null,"RunAsGroup":null,"RunAsNonRoot":null,"ReadOnlyRootFilesystem":null,"AllowPrivilegeEscalation":false,"ProcMount":null,"SeccompProfile":null,"AppArmorProfile":null}`, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN")}},
	{name: "securityContext windowsOptions runAsUserName empty", ecs: []any{EC("dbg", "securityContext", map[string]any{"windowsOptions": map[string]any{"runAsUserName": ""}})},
		causes: []Cause{Invalid(ec0("securityContext.windowsOptions.runAsUserName"), `""`, "runAsUserName cannot be an empty string")}},
	// Static pods (rule 1) replace every other error.
	{name: "static pod rejects any EC", pod: []func(*corev1.Pod){mirror}, ecs: []any{EC("dbg")},
		causes: []Cause{Forbidden("[]", "static pods do not support ephemeral containers")}},
	{name: "static pod error replaces all other errors", pod: []func(*corev1.Pod){mirror},
		ecs:    []any{EC("Bad", "ports", []any{}, "imagePullPolicy", "Sometimes")},
		causes: []Cause{Forbidden("[]", "static pods do not support ephemeral containers")}},
}

var _ = Describe("pods/ephemeralcontainers validation", func() {
	for _, tc := range invalidCases {
		API("validation/"+tc.name, func(f *F) {
			f.CreatePod(podName, tc.pod...)
			f.addList(podName, tc.ecs...).ExpectInvalid(podName, tc.causes...)
			Expect(f.GetPod(podName).OK().Spec.EphemeralContainers).To(BeEmpty())
		})
	}

	API("validation/static pod rejects even a no-op", func(f *F) {
		f.CreatePod(podName, mirror)
		f.AddEC(podName).ExpectInvalid(podName, Forbidden("[]", "static pods do not support ephemeral containers"))
	})

	API("validation/empty resources and empty command are accepted", func(f *F) {
		f.CreatePod(podName)
		out := f.addList(podName, EC("dbg", "resources", map[string]any{}, "command", []any{})).OK()
		Expect(ecNames(out)).To(Equal([]string{"dbg"}))
	})

	API("validation/relaxed env names are accepted", func(f *F) {
		f.CreatePod(podName)
		out := f.addList(podName, EC("dbg", "env", []any{map[string]any{"name": "1bad", "value": "x"}})).OK()
		Expect(out.Spec.EphemeralContainers[0].Env[0].Name).To(Equal("1bad"))
	})

	API("validation/procMount Unmasked is accepted with hostUsers false", func(f *F) {
		f.CreatePod(podName, noHostUsers)
		out := f.addList(podName, EC("dbg", "securityContext", map[string]any{"procMount": "Unmasked"})).OK()
		Expect(*out.Spec.EphemeralContainers[0].SecurityContext.ProcMount).To(Equal(corev1.UnmaskedProcMount))
	})

	API("validation/lifecycle with only stopSignal is dropped and accepted", func(f *F) {
		f.CreatePod(podName)
		out := f.addList(podName, EC("dbg", "lifecycle", map[string]any{"stopSignal": "SIGTERM"})).OK()
		Expect(out.Spec.EphemeralContainers[0].Lifecycle).To(BeNil())
	})

	API("validation/targetContainerName may name an init container", func(f *F) {
		f.CreatePod(podName)
		out := f.addList(podName, EC("dbg", "targetContainerName", "init")).OK()
		Expect(out.Spec.EphemeralContainers[0].TargetContainerName).To(Equal("init"))
	})

	API("validation/targetContainerName naming the main container", func(f *F) {
		f.CreatePod(podName)
		out := f.AddEC(podName, EC("dbg", "targetContainerName", "app")).OK()
		Expect(out.Spec.EphemeralContainers[0].TargetContainerName).To(Equal("app"))
	})

	API("validation/name duplicating an existing EC", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("a")).OK()
		r := f.PatchEC(podName, ctJSONP, []any{map[string]any{"op": "add", "path": "/spec/ephemeralContainers/-", "value": EC("a", "image", "other:1")}})
		// The old-vs-new comparison looks the name up in a map built from the
		// new list, so the later duplicate wins and also counts as a change.
		r.ExpectInvalid(podName, Duplicate(fieldEC(1, "name"), `"a"`),
			Forbidden("spec.ephemeralContainers", "existing ephemeral containers \"a\" may not be changed\n"+
				"@@ -1,6 +1,6 @@\n {\n  \"Name\": \"a\",\n- \"Image\": \""+testImage()+"\",\n+ \"Image\": \"other:1\",\n"+
				"  \"Command\": null,\n  \"Args\": null,\n  \"WorkingDir\": \"\",\n"))
	})

	API("validation/error ordering for a multi-error EC", func(f *F) {
		f.CreatePod(podName)
		bad := EC("Bad_Name",
			"image", " busybox ",
			"terminationMessagePolicy", "Sometimes",
			"imagePullPolicy", "Sometimes",
			"env", []any{map[string]any{"name": "OK", "value": "1"}, map[string]any{"name": ""}},
			"volumeMounts", []any{map[string]any{"name": "missing", "mountPath": "/m", "subPath": "../x", "subPathExpr": "y"}},
			"securityContext", map[string]any{"runAsUser": -1, "procMount": "Weird"},
			"targetContainerName", "nope",
			"restartPolicy", "Always",
			"resizePolicy", []any{map[string]any{"resourceName": "cpu", "restartPolicy": "NotRequired"}},
		)
		f.addList(podName, EC("app"), bad).ExpectInvalid(podName,
			Duplicate(fieldEC(0, "name"), `"app"`),
			Invalid(fieldEC(1, "name"), `"Bad_Name"`, dnsLabelMsg),
			NotSupported(fieldEC(1, "terminationMessagePolicy"), `"Sometimes"`, `"File", "FallbackToLogsOnError"`),
			Required(fieldEC(1, "env[1].name"), ""),
			NotFound(fieldEC(1, "volumeMounts[0].name"), `"missing"`),
			Invalid(fieldEC(1, "volumeMounts.subPath"), `"../x"`, "must not contain '..'"),
			Invalid(fieldEC(1, "volumeMounts[0].subPathExpr"), `"y"`, "subPathExpr and subPath are mutually exclusive"),
			NotSupported(fieldEC(1, "imagePullPolicy"), `"Sometimes"`, `"Always", "IfNotPresent", "Never"`),
			Invalid(fieldEC(1, "securityContext.runAsUser"), "-1", "must be between 0 and 2147483647, inclusive"),
			NotSupported(fieldEC(1, "securityContext.procMount"), `"Weird"`, `"Default", "Unmasked"`),
			Invalid(fieldEC(1, "image"), `" busybox "`, "must not have leading or trailing whitespace"),
			NotFound(fieldEC(1, "targetContainerName"), `"nope"`),
			Forbidden(fieldEC(1, "resizePolicy"), ecForbidden),
			Forbidden(fieldEC(1, "restartPolicy"), ecForbidden),
			Forbidden(fieldEC(1, "volumeMounts[0].subPath"), ecForbidden),
			Forbidden(fieldEC(1, "volumeMounts[0].subPathExpr"), ecForbidden),
		)
	})
})
