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
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

var _ = Describe("pod rules: in-tree driver volumes", func() {
	// The in-tree sources backed by block devices, cloud disks and drivers
	// (pkg/apis/core/validation/validation.go: validateISCSIVolumeSource,
	// validateFCVolumeSource, validateFlexVolumeSource, validateAzureFile,
	// validateAzureDisk, validateStorageOSVolumeSource,
	// validateScaleIOVolumeSource, validateCSIVolumeSource). Quirks the real
	// server has: the iscsi path segment "initiatorname" is lower case; the
	// length of "<volume name>:<targetPortal>" is checked on the volume name,
	// even when iscsi is refused as a second source; a malformed csi
	// nodePublishSecretRef name is reported on "csi.name"; azureDisk's kind is
	// defaulted to Shared, so a diskURI must then start with https://.
	// Found by the differential fuzzer (fuzz/FINDINGS.md).
	API("pod/in-tree driver volume sources are validated", func(f *F) {
		p := basePod("dv")
		keepOffNodes(p)
		vol := func(name string, src corev1.VolumeSource) corev1.Volume {
			return corev1.Volume{Name: name, VolumeSource: src}
		}
		badDriver := strings.Repeat("D", 63) + "_"
		p.Spec.Volumes = append(p.Spec.Volumes,
			vol("iscsi", corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: strings.Repeat("p", 60), IQN: "iqn.bad", Lun: 300, SessionCHAPAuth: true, InitiatorName: ptr.To("bad")}}),
			vol("iscsi2", corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{InitiatorName: ptr.To("eui.123")}}),
			vol("fc", corev1.VolumeSource{FC: &corev1.FCVolumeSource{}}),
			vol("fc2", corev1.VolumeSource{FC: &corev1.FCVolumeSource{TargetWWNs: []string{"a"}, WWIDs: []string{"b"}}}),
			vol("fc3", corev1.VolumeSource{FC: &corev1.FCVolumeSource{TargetWWNs: []string{"a"}, Lun: ptr.To[int32](256)}}),
			vol("flex", corev1.VolumeSource{FlexVolume: &corev1.FlexVolumeSource{Options: map[string]string{"A.Kubernetes.io/x": "v", "example.com/ok": "v"}}}),
			vol("azf", corev1.VolumeSource{AzureFile: &corev1.AzureFileVolumeSource{}}),
			vol("azd", corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{CachingMode: ptr.To(corev1.AzureDataDiskCachingMode("Bad")), Kind: ptr.To(corev1.AzureDataDiskKind("Bad"))}}),
			vol("azd2", corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "https://x", Kind: ptr.To(corev1.AzureManagedDisk)}}),
			vol("azd3", corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "/subscriptions/x"}}),
			vol("sos", corev1.VolumeSource{StorageOS: &corev1.StorageOSVolumeSource{VolumeName: "Bad_Name", VolumeNamespace: "Bad_Name", SecretRef: &corev1.LocalObjectReference{}}}),
			vol("sio", corev1.VolumeSource{ScaleIO: &corev1.ScaleIOVolumeSource{}}),
			vol("csi", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{NodePublishSecretRef: &corev1.LocalObjectReference{}}}),
			vol("csi2", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: badDriver, NodePublishSecretRef: &corev1.LocalObjectReference{Name: "bad_"}}}),
			vol("two", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}, ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: strings.Repeat("p", 62), InitiatorName: ptr.To("x")}}),
		)
		// The DNS messages are apimachinery's (the server's own library).
		dnsLabel := validation.IsDNS1123Label("Bad_Name")[0]
		dnsSubdomain := validation.IsDNS1123Subdomain("bad_")[0]
		tooLong := "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."
		blobForm := `"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"`
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		r.ExpectInvalid("dv",
			Invalid("spec.volumes[1].iscsi.iqn", `"iqn.bad"`, "must be valid format"),
			Invalid("spec.volumes[1].iscsi.lun", "300", "must be between 0 and 255, inclusive"),
			Required("spec.volumes[1].iscsi.secretRef", ""),
			Invalid("spec.volumes[1].iscsi.initiatorname", `"bad"`, "must be valid format starting with iqn, eui, or naa"),
			Invalid("spec.volumes[1].name", `"iscsi"`, tooLong),
			Required("spec.volumes[2].iscsi.targetPortal", ""),
			Required("spec.volumes[2].iscsi.iqn", ""),
			Invalid("spec.volumes[2].iscsi.initiatorname", `"eui.123"`, "must be valid format"),
			Required("spec.volumes[3].fc.targetWWNs", "must specify either targetWWNs or wwids, but not both"),
			Invalid("spec.volumes[4].fc.targetWWNs", `["a"]`, "targetWWNs and wwids can not be specified simultaneously"),
			Required("spec.volumes[4].fc.lun", "lun is required if targetWWNs is specified"),
			Invalid("spec.volumes[5].fc.lun", "256", "must be between 0 and 255, inclusive"),
			Required("spec.volumes[6].flexVolume.driver", ""),
			Invalid("spec.volumes[6].flexVolume.options[A.Kubernetes.io/x]", `"A.Kubernetes.io/x"`, "kubernetes.io and k8s.io namespaces are reserved"),
			Required("spec.volumes[7].azureFile.secretName", ""),
			Required("spec.volumes[7].azureFile.shareName", ""),
			Required("spec.volumes[8].azureDisk.diskName", ""),
			Required("spec.volumes[8].azureDisk.diskURI", ""),
			NotSupported("spec.volumes[8].azureDisk.cachingMode", `"Bad"`, `"None", "ReadOnly", "ReadWrite"`),
			NotSupported("spec.volumes[8].azureDisk.kind", `"Bad"`, `"Dedicated", "Managed", "Shared"`),
			NotSupported("spec.volumes[8].azureDisk.diskURI", `""`, blobForm),
			NotSupported("spec.volumes[9].azureDisk.diskURI", `"https://x"`, `"/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"`),
			NotSupported("spec.volumes[10].azureDisk.diskURI", `"/subscriptions/x"`, blobForm),
			Invalid("spec.volumes[11].storageos.volumeName", `"Bad_Name"`, dnsLabel),
			Invalid("spec.volumes[11].storageos.volumeNamespace", `"Bad_Name"`, dnsLabel),
			Required("spec.volumes[11].storageos.secretRef.name", ""),
			Required("spec.volumes[12].scaleIO.gateway", ""),
			Required("spec.volumes[12].scaleIO.system", ""),
			Required("spec.volumes[12].scaleIO.volumeName", ""),
			Required("spec.volumes[13].csi.driver", ""),
			Required("spec.volumes[13].csi.nodePublishSecretRef.name", ""),
			Cause{Type: "FieldValueTooLong", Field: "spec.volumes[14].csi.driver", Message: "Too long: may not be more than 63 bytes"},
			Invalid("spec.volumes[14].csi.driver", `"`+badDriver+`"`, dnsSubdomain),
			Invalid("spec.volumes[14].csi.name", `"bad_"`, dnsSubdomain),
			Forbidden("spec.volumes[15].iscsi", "may not specify more than 1 volume type"),
			Invalid("spec.volumes[15].name", `"two"`, tooLong),
		)
	})
})

var _ = Describe("pod rules: volume item paths", func() {
	// Items of one configMap, secret, downwardAPI or projected volume whose
	// paths are equal or one a directory of the other overwrite each other on
	// the node, so kube-apiserver warns on create (pkg/api/pod/warnings.go,
	// warningsForOverlappingVirtualPaths), as it does for a projected
	// volume's empty source; its warning filter sends a repeated text once.
	// Found by the differential fuzzer (fuzz/FINDINGS.md, 24).
	API("pod/overlapping volume item paths are warned", func(f *F) {
		p := basePod("ov")
		keepOffNodes(p)
		items := func(paths ...string) []corev1.KeyToPath {
			var out []corev1.KeyToPath
			for i, path := range paths {
				out = append(out, corev1.KeyToPath{Key: "k" + string(rune('a'+i)), Path: path})
			}
			return out
		}
		p.Spec.Volumes = append(p.Spec.Volumes,
			corev1.Volume{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Items: items("a", "a/b/", "ab", "a")}}},
			corev1.Volume{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Items: items("t")}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Items: items("t/u")}},
				{},
				{},
			}}}},
		)
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: p})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		Expect(r.Warnings).To(Equal([]string{
			`299 - "volume \"cm\" (ConfigMap \"conf\"): overlapping paths: \"a/b\" with \"a\""`,
			`299 - "volume \"cm\" (ConfigMap \"conf\"): overlapping paths: \"a\" with \"a\""`,
			`299 - "volume \"cm\" (ConfigMap \"conf\"): overlapping paths: \"a\" with \"a/b\""`,
			`299 - "volume \"proj\" (Projected): overlapping paths: \"t/u\" (Secret \"s\") with \"t\" (ConfigMap \"conf\")"`,
			`299 - "volume \"proj\" (Projected) has no sources provided"`,
		}))
	})
})
