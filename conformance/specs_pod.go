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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Rules of plain pod create and update that the differential fuzzer (package
// fuzz) found Ephemera answering differently from kube-apiserver. Upstream:
// k8s.io/kubernetes pkg/apis/core/validation/validation.go.
var _ = Describe("pod rules", func() {
	// validatePodResourceClaim: a unique DNS-label name, exactly one of
	// resourceClaimName and resourceClaimTemplateName (the claim printed as
	// the internal struct), each a DNS subdomain; container claims must name
	// one of the pod's non-empty claim names (gatherPodResourceClaimNames).
	API("pod/resourceClaims name exactly one valid source", func(f *F) {
		p := basePod("rc")
		keepOffNodes(p)
		p.Spec.ResourceClaims = []corev1.PodResourceClaim{
			{},
			{Name: "a", ResourceClaimName: ptr.To("x"), ResourceClaimTemplateName: ptr.To("y")},
			{Name: "b", ResourceClaimName: ptr.To("Bad_Name")},
		}
		p.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "zz"}}
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("rc",
			Required("spec.resourceClaims[0].name", ""),
			Invalid("spec.resourceClaims[0]", `{"Name":"","ResourceClaimName":null,"ResourceClaimTemplateName":null}`,
				"must specify one of: `resourceClaimName`, `resourceClaimTemplateName`"),
			Invalid("spec.resourceClaims[1]", `{"Name":"a","ResourceClaimName":"x","ResourceClaimTemplateName":"y"}`,
				"at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"),
			Invalid("spec.resourceClaims[2].resourceClaimName", `"Bad_Name"`, dnsSubdomainMsg),
			NotFoundDetail("spec.containers[0].resources.claims[0]", `"zz"`, "must be one of the names in pod.spec.resourceClaims: a, b"),
		)
	})

	// validateTopologySpreadConstraints: a positive maxSkew, a topologyKey, a
	// known whenUnsatisfiable, no repeated {topologyKey, whenUnsatisfiable},
	// minDomains only with DoNotSchedule, known node inclusion policies, and
	// matchLabelKeys only with a label selector.
	API("pod/topologySpreadConstraints are validated", func(f *F) {
		p := basePod("ts")
		keepOffNodes(p)
		bad := corev1.NodeInclusionPolicy("bad")
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
			{},
			{MaxSkew: 1, TopologyKey: "k", WhenUnsatisfiable: corev1.ScheduleAnyway, MinDomains: ptr.To[int32](2), NodeAffinityPolicy: &bad},
			{MaxSkew: 1, TopologyKey: "k", WhenUnsatisfiable: corev1.ScheduleAnyway, MatchLabelKeys: []string{"app"}},
		}
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("ts",
			Invalid("spec.topologySpreadConstraints[0].maxSkew", "0", "must be greater than zero"),
			Required("spec.topologySpreadConstraints[0].topologyKey", "can not be empty"),
			NotSupported("spec.topologySpreadConstraints[0].whenUnsatisfiable", `""`, `"DoNotSchedule", "ScheduleAnyway"`),
			Duplicate("spec.topologySpreadConstraints[1].{topologyKey, whenUnsatisfiable}", `"{k, ScheduleAnyway}"`),
			Invalid("spec.topologySpreadConstraints[1].minDomains", "2", "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway"),
			NotSupported("spec.topologySpreadConstraints[1].nodeAffinityPolicy", `"bad"`, `"Honor", "Ignore"`),
			Forbidden("spec.topologySpreadConstraints[2].matchLabelKeys", "must not be specified when labelSelector is not set"),
		)
	})

	// The in-tree volume sources no kubelet mounts any more are still
	// validated (pkg/apis/core/validation/validation.go, validateVolumeSource
	// and one validate<Source>VolumeSource each), some under a path that is
	// not their JSON name: "persistentDisk" for gcePersistentDisk, "cephfs"
	// for cephFS. Found by the differential fuzzer (fuzz/FINDINGS.md).
	// An ephemeral volume's claim template is validated as a claim
	// (validateEphemeralVolumeSource, ValidatePersistentVolumeClaimTemplate;
	// found by the differential fuzzer, FINDINGS 17). The differential mode
	// compares every cause; the assertions name the rules.
	API("pod/an ephemeral volume's claim template is validated", func(f *F) {
		p := basePod("ev")
		keepOffNodes(p)
		withName := func(name string, v map[string]any) map[string]any { v["name"] = name; return v }
		tmpl := func(meta, spec map[string]any) map[string]any {
			t := map[string]any{"spec": spec}
			if meta != nil {
				t["metadata"] = meta
			}
			return map[string]any{"ephemeral": map[string]any{"volumeClaimTemplate": t}}
		}
		vols := []any{
			withName("bad", tmpl(map[string]any{"name": "x", "labels": map[string]any{"a b": "c"}}, map[string]any{
				"accessModes":      []any{"ReadWriteOncePod", "ReadWriteOnce", "Bogus"},
				"resources":        map[string]any{"requests": map[string]any{"storage": "0"}},
				"storageClassName": "Bad_Class", "volumeMode": "Weird", "volumeAttributesClassName": "Bad_VAC",
				"dataSource":    map[string]any{"kind": "Snap", "name": ""},
				"dataSourceRef": map[string]any{"kind": "PersistentVolumeClaim", "name": "src", "namespace": "Bad_NS", "apiGroup": "Bad_Group"}})),
			withName("empty", tmpl(nil, map[string]any{})),
			withName("mismatch", tmpl(nil, map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}},
				"dataSource": map[string]any{"kind": "PersistentVolumeClaim", "name": "a"}, "dataSourceRef": map[string]any{"kind": "PersistentVolumeClaim", "name": "b"}})),
		}
		raw, err := json.Marshal(p)
		Expect(err).NotTo(HaveOccurred())
		var body map[string]any
		Expect(json.Unmarshal(raw, &body)).To(Succeed())
		body["spec"].(map[string]any)["volumes"] = vols
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: body})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		var fields []string
		for _, c := range r.Status.Details.Causes {
			fields = append(fields, c.Field)
		}
		const bad, empty = "spec.volumes[0].ephemeral.volumeClaimTemplate.", "spec.volumes[1].ephemeral.volumeClaimTemplate."
		Expect(fields).To(ContainElements(bad+"metadata.labels", bad+"metadata.name", bad+"spec.accessModes", bad+"spec.resources[storage]",
			bad+"spec.storageClassName", bad+"spec.volumeMode", bad+"spec.dataSource.name", bad+"spec.dataSourceRef.apiGroup",
			bad+"spec.dataSourceRef.namespace", bad+"spec", bad+"spec.volumeAttributesClassName",
			empty+"spec.accessModes", empty+"spec.resources[storage]", "spec.volumes[2].ephemeral.volumeClaimTemplate.spec"))
	})

	// validateSELinuxChangePolicy, with the SELinuxMount gate on in 1.37:
	// both policies are allowed, nothing else (FINDINGS 18).
	API("pod/seLinuxChangePolicy must be a supported value", func(f *F) {
		p := basePod("se")
		keepOffNodes(p)
		p.Spec.SecurityContext = &corev1.PodSecurityContext{SELinuxChangePolicy: ptr.To(corev1.PodSELinuxChangePolicy("e1"))}
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("se", NotSupported("spec.securityContext.seLinuxChangePolicy", `"e1"`, `"MountOption", "Recursive"`))
		p.Spec.SecurityContext.SELinuxChangePolicy = ptr.To(corev1.SELinuxChangePolicyMountOption)
		p.Name = "se-ok"
		r = f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
	})

	// validatePodResourceConsistency (pkg/apis/core/validation): pod-level
	// requests at least the containers' aggregate requests, pod-level
	// hugepage limits at least their aggregate limits (FINDINGS 27).
	API("pod/pod-level resources must cover the containers' aggregate", func(f *F) {
		// One resource per check: upstream ranges over the aggregate maps,
		// so two resources' errors come in random order.
		create := func(name string, ctr, pod corev1.ResourceRequirements) *Result {
			p := basePod(name)
			keepOffNodes(p)
			p.Spec.Containers[0].Resources = ctr
			p.Spec.Resources = &pod
			return f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		}
		list := func(kv ...string) corev1.ResourceList {
			l := corev1.ResourceList{}
			for i := 0; i < len(kv); i += 2 {
				l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
			}
			return l
		}
		r := create("mem", corev1.ResourceRequirements{Requests: list("memory", "1Gi")}, corev1.ResourceRequirements{Requests: list("memory", "1")})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		Expect(string(r.Body)).To(ContainSubstring("must be greater than or equal to aggregate container requests of 1Gi"))
		r = create("huge", corev1.ResourceRequirements{Requests: list("memory", "1Gi"), Limits: list("hugepages-2Mi", "4Mi")},
			corev1.ResourceRequirements{Requests: list("memory", "1Gi"), Limits: list("hugepages-2Mi", "2Mi")})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		Expect(string(r.Body)).To(ContainSubstring("must be greater than or equal to aggregate container limits of 4Mi"))
		r = create("ok", corev1.ResourceRequirements{Requests: list("memory", "1Gi"), Limits: list("hugepages-2Mi", "4Mi")},
			corev1.ResourceRequirements{Requests: list("memory", "1Gi"), Limits: list("hugepages-2Mi", "4Mi")})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
	})

	API("pod/in-tree volume sources are validated", func(f *F) {
		p := basePod("iv")
		keepOffNodes(p)
		vol := func(name string, src corev1.VolumeSource) corev1.Volume {
			return corev1.Volume{Name: name, VolumeSource: src}
		}
		p.Spec.Volumes = append(p.Spec.Volumes,
			vol("aws", corev1.VolumeSource{AWSElasticBlockStore: &corev1.AWSElasticBlockStoreVolumeSource{Partition: 300}}),
			vol("gce", corev1.VolumeSource{GCEPersistentDisk: &corev1.GCEPersistentDiskVolumeSource{}}),
			vol("nfs", corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Path: "rel"}}),
			vol("ceph", corev1.VolumeSource{CephFS: &corev1.CephFSVolumeSource{}}),
			vol("quobyte", corev1.VolumeSource{Quobyte: &corev1.QuobyteVolumeSource{Registry: "nohost,h:1"}}),
			vol("flocker", corev1.VolumeSource{Flocker: &corev1.FlockerVolumeSource{DatasetName: "a/b", DatasetUUID: "u"}}),
			vol("git", corev1.VolumeSource{GitRepo: &corev1.GitRepoVolumeSource{Directory: "/abs"}}),
			vol("rbd", corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{}}),
			vol("cinder", corev1.VolumeSource{Cinder: &corev1.CinderVolumeSource{SecretRef: &corev1.LocalObjectReference{}}}),
			vol("px", corev1.VolumeSource{PortworxVolume: &corev1.PortworxVolumeSource{}}),
		)
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("iv",
			Required("spec.volumes[1].awsElasticBlockStore.volumeID", ""),
			Invalid("spec.volumes[1].awsElasticBlockStore.partition", "300", "must be between 1 and 255, inclusive"),
			Required("spec.volumes[2].persistentDisk.pdName", ""),
			Required("spec.volumes[3].nfs.server", ""),
			Invalid("spec.volumes[3].nfs.path", `"rel"`, "must be an absolute path"),
			Required("spec.volumes[4].cephfs.monitors", ""),
			Invalid("spec.volumes[5].quobyte.registry", `"nohost,h:1"`, "must be a host:port pair or multiple pairs separated by commas"),
			Required("spec.volumes[5].quobyte.volume", ""),
			Invalid("spec.volumes[6].flocker", `"resource"`, "datasetName and datasetUUID can not be specified simultaneously"),
			Invalid("spec.volumes[6].flocker.datasetName", `"a/b"`, "must not contain '/'"),
			Required("spec.volumes[7].gitRepo.repository", ""),
			Invalid("spec.volumes[7].gitRepo.directory", `"/abs"`, "must be a relative path"),
			Required("spec.volumes[8].rbd.monitors", ""),
			Required("spec.volumes[8].rbd.image", ""),
			Required("spec.volumes[9].cinder.volumeID", ""),
			Required("spec.volumes[9].cinder.secretRef.name", ""),
			Required("spec.volumes[10].portworxVolume.volumeID", ""),
		)
	})

	// The RuntimeClass admission plugin (k8s.io/kubernetes
	// plugin/pkg/admission/runtimeclass), on by default: a pod naming a
	// RuntimeClass that does not exist, or setting overhead without one, is
	// refused on create; an empty name fails the plugin's own lookup.
	// Found by the differential fuzzer (fuzz/FINDINGS.md).
	API("pod/RuntimeClass admission refuses unknown classes and lone overhead", func(f *F) {
		create := func(name string, mutate func(*corev1.Pod)) *Result {
			p := basePod(name)
			keepOffNodes(p)
			mutate(p)
			return f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		}
		r := create("rc1", func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("gvisor") })
		r.ExpectStatus(http.StatusForbidden, metav1.StatusReasonForbidden, `pods "rc1" is forbidden: pod rejected: RuntimeClass "gvisor" not found`)
		r = create("rc2", func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
		})
		r.ExpectStatus(http.StatusForbidden, metav1.StatusReasonForbidden, `pods "rc2" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`)
		r = create("rc3", func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("") })
		r.ExpectStatus(http.StatusInternalServerError, "", "resource name may not be empty")
		// A name client-go will not put in a URL path fails the lookup
		// the same way (rest.Request.Name), before validation could say
		// the name is invalid: mutating admission runs first.
		r = create("rc4", func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("a/b") })
		r.ExpectStatus(http.StatusInternalServerError, "", `invalid resource name "a/b": [may not contain '/']`)
	})
})

// dnsSubdomainMsg is the DNS-1123 subdomain regex message
// (k8s.io/apimachinery pkg/util/validation IsDNS1123Subdomain).
const dnsSubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

// NotFoundDetail is a FieldValueNotFound cause with a detail.
func NotFoundDetail(field, value, detail string) Cause {
	c := NotFound(field, value)
	c.Message += ": " + detail
	return c
}
