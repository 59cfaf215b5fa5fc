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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestInTreeDriverVolumeSources checks the errors of the iscsi, fc,
// flexVolume, azureFile, azureDisk, storageos, scaleIO and csi sources
// (field path, type, value and detail, in order) as
// pkg/apis/core/validation/validation.go reports them. The same objects are
// replayed on kube-apiserver by the conformance scenario 'pod/in-tree driver
// volume sources are validated'.
func TestInTreeDriverVolumeSources(t *testing.T) {
	long := strings.Repeat("v", 64)
	dnsLabel := validation.IsDNS1123Label("Bad_Name")[0]
	dnsSubdomain := validation.IsDNS1123Subdomain("bad_")[0]
	cases := []struct {
		name    string
		volName string
		src     corev1.VolumeSource
		want    []string
	}{
		{"iscsi empty", long, corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{Lun: 300, SessionCHAPAuth: true, InitiatorName: ptrTo("bad")}}, []string{
			"v.iscsi.targetPortal: Required value",
			"v.iscsi.iqn: Required value",
			"v.iscsi.lun: Invalid value: 300: must be between 0 and 255, inclusive",
			"v.iscsi.secretRef: Required value",
			`v.iscsi.initiatorname: Invalid value: "bad": must be valid format starting with iqn, eui, or naa`,
			`v.name: Invalid value: "` + long + `": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.`,
		}},
		{"iscsi formats", "v", corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "p", IQN: "iqn.bad", InitiatorName: ptrTo("eui.123")}}, []string{
			`v.iscsi.iqn: Invalid value: "iqn.bad": must be valid format`,
			`v.iscsi.initiatorname: Invalid value: "eui.123": must be valid format`,
		}},
		{"iscsi valid", "v", corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "10.0.0.1:3260", IQN: "iqn.2001-04.com.example:storage", InitiatorName: ptrTo("naa." + strings.Repeat("a", 32))}}, nil},
		{"iscsi as second source still checks the name", long, corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}, ISCSI: &corev1.ISCSIVolumeSource{InitiatorName: ptrTo("x")}}, []string{
			"v.iscsi: Forbidden: may not specify more than 1 volume type",
			`v.name: Invalid value: "` + long + `": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.`,
		}},
		{"fc empty", "v", corev1.VolumeSource{FC: &corev1.FCVolumeSource{}}, []string{
			"v.fc.targetWWNs: Required value: must specify either targetWWNs or wwids, but not both",
		}},
		{"fc both", "v", corev1.VolumeSource{FC: &corev1.FCVolumeSource{TargetWWNs: []string{"a"}, WWIDs: []string{"b"}}}, []string{
			`v.fc.targetWWNs: Invalid value: ["a"]: targetWWNs and wwids can not be specified simultaneously`,
			"v.fc.lun: Required value: lun is required if targetWWNs is specified",
		}},
		{"fc lun", "v", corev1.VolumeSource{FC: &corev1.FCVolumeSource{TargetWWNs: []string{"a"}, Lun: ptrTo[int32](256)}}, []string{
			"v.fc.lun: Invalid value: 256: must be between 0 and 255, inclusive",
		}},
		{"flexVolume", "v", corev1.VolumeSource{FlexVolume: &corev1.FlexVolumeSource{Options: map[string]string{"k8s.io": "", "A.Kubernetes.io/x": "", "ok/x": "", "kubernetes.io.example/y": ""}}}, []string{
			"v.flexVolume.driver: Required value",
			`v.flexVolume.options[A.Kubernetes.io/x]: Invalid value: "A.Kubernetes.io/x": kubernetes.io and k8s.io namespaces are reserved`,
			`v.flexVolume.options[k8s.io]: Invalid value: "k8s.io": kubernetes.io and k8s.io namespaces are reserved`,
		}},
		{"azureFile", "v", corev1.VolumeSource{AzureFile: &corev1.AzureFileVolumeSource{}}, []string{
			"v.azureFile.secretName: Required value",
			"v.azureFile.shareName: Required value",
		}},
		{"azureDisk", "v", corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{CachingMode: ptrTo(corev1.AzureDataDiskCachingMode("Bad")), Kind: ptrTo(corev1.AzureDataDiskKind("Bad"))}}, []string{
			"v.azureDisk.diskName: Required value",
			"v.azureDisk.diskURI: Required value",
			`v.azureDisk.cachingMode: Unsupported value: "Bad": supported values: "None", "ReadOnly", "ReadWrite"`,
			`v.azureDisk.kind: Unsupported value: "Bad": supported values: "Dedicated", "Managed", "Shared"`,
			`v.azureDisk.diskURI: Unsupported value: "": supported values: "https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"`,
		}},
		{"azureDisk managed", "v", corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "https://x", Kind: ptrTo(corev1.AzureManagedDisk)}}, []string{
			`v.azureDisk.diskURI: Unsupported value: "https://x": supported values: "/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"`,
		}},
		{"storageos", "v", corev1.VolumeSource{StorageOS: &corev1.StorageOSVolumeSource{VolumeName: "Bad_Name", VolumeNamespace: "Bad_Name", SecretRef: &corev1.LocalObjectReference{}}}, []string{
			`v.storageos.volumeName: Invalid value: "Bad_Name": ` + dnsLabel,
			`v.storageos.volumeNamespace: Invalid value: "Bad_Name": ` + dnsLabel,
			"v.storageos.secretRef.name: Required value",
		}},
		{"storageos empty", "v", corev1.VolumeSource{StorageOS: &corev1.StorageOSVolumeSource{}}, []string{
			"v.storageos.volumeName: Required value",
		}},
		{"scaleIO", "v", corev1.VolumeSource{ScaleIO: &corev1.ScaleIOVolumeSource{}}, []string{
			"v.scaleIO.gateway: Required value",
			"v.scaleIO.system: Required value",
			"v.scaleIO.volumeName: Required value",
		}},
		{"csi empty", "v", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{NodePublishSecretRef: &corev1.LocalObjectReference{}}}, []string{
			"v.csi.driver: Required value",
			"v.csi.nodePublishSecretRef.name: Required value",
		}},
		{"csi names", "v", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: strings.Repeat("D", 63) + "_", NodePublishSecretRef: &corev1.LocalObjectReference{Name: "bad_"}}}, []string{
			"v.csi.driver: Too long: may not be more than 63 bytes",
			`v.csi.driver: Invalid value: "` + strings.Repeat("D", 63) + `_": ` + dnsSubdomain,
			`v.csi.name: Invalid value: "bad_": ` + dnsSubdomain,
		}},
		{"csi valid upper case", "v", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "Example.COM"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := validateVolumeSource(&c.src, field.NewPath("v"), c.volName, nil, podOpts{})
			got := make([]string, 0, len(errs))
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
