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
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The in-tree volume sources backed by block devices, cloud disks and
// drivers (iscsi, fc, flexVolume, azureFile, azureDisk, storageos, scaleIO,
// csi). Like volume_intree.go, each function mirrors the one of the same name
// in k8s.io/kubernetes pkg/apis/core/validation/validation.go and is called
// by validateVolumeSource under the path given there.

// The iSCSI name formats of RFC 3720 as upstream checks them
// (iscsiInitiatorIqnRegex, iscsiInitiatorEuiRegex, iscsiInitiatorNaaRegex).
// The iqn form is not anchored at its start upstream; neither is it here.
var (
	iscsiIQNRegexp = regexp.MustCompile(`iqn\.\d{4}-\d{2}\.([[:alnum:]-.]+)(:[^,;*&$|\s]+)$`)
	iscsiEUIRegexp = regexp.MustCompile(`^eui.[[:alnum:]]{16}$`)
	iscsiNAARegexp = regexp.MustCompile(`^naa.[[:alnum:]]{32}$`)
)

const iscsiNameTooLong = "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."

// iscsiNameFormatError gives the detail upstream reports for an iqn or
// initiator name, "" when it is valid: a name with none of the three
// prefixes and a name whose prefix's format does not match get different
// messages.
func iscsiNameFormatError(name string) string {
	var re *regexp.Regexp
	switch {
	case strings.HasPrefix(name, "iqn"):
		re = iscsiIQNRegexp
	case strings.HasPrefix(name, "eui"):
		re = iscsiEUIRegexp
	case strings.HasPrefix(name, "naa"):
		re = iscsiNAARegexp
	default:
		return "must be valid format starting with iqn, eui, or naa"
	}
	if !re.MatchString(name) {
		return "must be valid format"
	}
	return ""
}

// validateISCSIVolumeSource mirrors validateISCSIVolumeSource. The check of
// the volume name's length (upstream does it in validateVolumeSource, even
// when iscsi is not the first source set) is iscsiVolumeNameLength.
func validateISCSIVolumeSource(iscsi *corev1.ISCSIVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(iscsi.TargetPortal) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("targetPortal"), ""))
	}
	if len(iscsi.IQN) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("iqn"), ""))
	} else if msg := iscsiNameFormatError(iscsi.IQN); msg != "" {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("iqn"), iscsi.IQN, msg))
	}
	if iscsi.Lun < 0 || iscsi.Lun > 255 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("lun"), iscsi.Lun, validation.InclusiveRangeError(0, 255)))
	}
	if (iscsi.DiscoveryCHAPAuth || iscsi.SessionCHAPAuth) && iscsi.SecretRef == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("secretRef"), ""))
	}
	if iscsi.InitiatorName != nil {
		// Upstream's path segment is all lower case here.
		if msg := iscsiNameFormatError(*iscsi.InitiatorName); msg != "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("initiatorname"), *iscsi.InitiatorName, msg))
		}
	}
	return allErrs
}

// iscsiVolumeNameLength mirrors the iscsi block of validateVolumeSource: with
// an initiator name, "<volume name>:<targetPortal>" must fit in 64
// characters; the error is on the volume's name.
func iscsiVolumeNameLength(iscsi *corev1.ISCSIVolumeSource, volName string, fldPath *field.Path) field.ErrorList {
	if iscsi.InitiatorName != nil && len(volName+":"+iscsi.TargetPortal) > 64 {
		return field.ErrorList{field.Invalid(fldPath.Child("name"), volName, iscsiNameTooLong)}
	}
	return nil
}

// validateFCVolumeSource mirrors validateFCVolumeSource.
func validateFCVolumeSource(fc *corev1.FCVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(fc.TargetWWNs) == 0 && len(fc.WWIDs) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("targetWWNs"), "must specify either targetWWNs or wwids, but not both"))
	}
	if len(fc.TargetWWNs) != 0 && len(fc.WWIDs) != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("targetWWNs"), fc.TargetWWNs, "targetWWNs and wwids can not be specified simultaneously"))
	}
	if len(fc.TargetWWNs) != 0 {
		switch {
		case fc.Lun == nil:
			allErrs = append(allErrs, field.Required(fldPath.Child("lun"), "lun is required if targetWWNs is specified"))
		case *fc.Lun < 0 || *fc.Lun > 255:
			allErrs = append(allErrs, field.Invalid(fldPath.Child("lun"), *fc.Lun, validation.InclusiveRangeError(0, 255)))
		}
	}
	return allErrs
}

// validateFlexVolumeSource mirrors validateFlexVolumeSource: options may not
// use the kubernetes.io and k8s.io namespaces. Upstream ranges over the map,
// so with several reserved keys its order is random; here keys are sorted.
func validateFlexVolumeSource(fv *corev1.FlexVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(fv.Driver) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("driver"), ""))
	}
	for _, k := range sortedKeys(fv.Options) {
		namespace, _, found := strings.Cut(k, "/")
		if !found {
			namespace = k
		}
		normalized := "." + strings.ToLower(namespace)
		if strings.HasSuffix(normalized, ".kubernetes.io") || strings.HasSuffix(normalized, ".k8s.io") {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("options").Key(k), k, "kubernetes.io and k8s.io namespaces are reserved"))
		}
	}
	return allErrs
}

// validateAzureFile mirrors validateAzureFile.
func validateAzureFile(azure *corev1.AzureFileVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if azure.SecretName == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("secretName"), ""))
	}
	if azure.ShareName == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("shareName"), ""))
	}
	return allErrs
}

var (
	supportedAzureCachingModes = sets.New(corev1.AzureDataDiskCachingNone, corev1.AzureDataDiskCachingReadOnly, corev1.AzureDataDiskCachingReadWrite)
	supportedAzureDiskKinds    = sets.New(corev1.AzureSharedBlobDisk, corev1.AzureDedicatedBlobDisk, corev1.AzureManagedDisk)
	// The "supported values" upstream lists for a diskURI of the wrong form.
	azureManagedDiskURIForm = []string{"/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"}
	azureBlobDiskURIForm    = []string{"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"}
)

// validateAzureDisk mirrors validateAzureDisk. Defaulting has set kind
// (Shared) and cachingMode (ReadWrite) by then, so a diskURI is always
// checked against the form its kind needs.
func validateAzureDisk(azure *corev1.AzureDiskVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if azure.DiskName == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("diskName"), ""))
	}
	if azure.DataDiskURI == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("diskURI"), ""))
	}
	if azure.CachingMode != nil && !supportedAzureCachingModes.Has(*azure.CachingMode) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("cachingMode"), *azure.CachingMode, sets.List(supportedAzureCachingModes)))
	}
	if azure.Kind != nil && !supportedAzureDiskKinds.Has(*azure.Kind) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("kind"), *azure.Kind, sets.List(supportedAzureDiskKinds)))
	}
	if azure.Kind != nil {
		if *azure.Kind == corev1.AzureManagedDisk && !strings.HasPrefix(azure.DataDiskURI, "/subscriptions/") {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("diskURI"), azure.DataDiskURI, azureManagedDiskURIForm))
		}
		if *azure.Kind != corev1.AzureManagedDisk && !strings.HasPrefix(azure.DataDiskURI, "https://") {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("diskURI"), azure.DataDiskURI, azureBlobDiskURIForm))
		}
	}
	return allErrs
}

// validateStorageOSVolumeSource mirrors validateStorageOSVolumeSource.
func validateStorageOSVolumeSource(s *corev1.StorageOSVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(s.VolumeName) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("volumeName"), ""))
	} else {
		allErrs = append(allErrs, validateDNS1123Label(s.VolumeName, fldPath.Child("volumeName"))...)
	}
	if len(s.VolumeNamespace) > 0 {
		allErrs = append(allErrs, validateDNS1123Label(s.VolumeNamespace, fldPath.Child("volumeNamespace"))...)
	}
	if s.SecretRef != nil && len(s.SecretRef.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("secretRef", "name"), ""))
	}
	return allErrs
}

// validateScaleIOVolumeSource mirrors validateScaleIOVolumeSource.
func validateScaleIOVolumeSource(sio *corev1.ScaleIOVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if sio.Gateway == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("gateway"), ""))
	}
	if sio.System == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("system"), ""))
	}
	if sio.VolumeName == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("volumeName"), ""))
	}
	return allErrs
}

// validateCSIDriverName mirrors ValidateCSIDriverName: required, at most 63
// bytes, and a DNS subdomain once lower-cased (the value reported is the
// name as given).
func validateCSIDriverName(driver string, fldPath *field.Path) field.ErrorList {
	if len(driver) == 0 {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	allErrs := field.ErrorList{}
	if len(driver) > 63 {
		allErrs = append(allErrs, field.TooLong(fldPath, "", 63))
	}
	for _, msg := range validation.IsDNS1123Subdomain(strings.ToLower(driver)) {
		allErrs = append(allErrs, field.Invalid(fldPath, driver, msg))
	}
	return allErrs
}

// validateCSIVolumeSource mirrors validateCSIVolumeSource. A malformed
// nodePublishSecretRef name is reported on "csi.name", not on
// "csi.nodePublishSecretRef.name", as upstream does.
func validateCSIVolumeSource(csi *corev1.CSIVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateCSIDriverName(csi.Driver, fldPath.Child("driver"))
	if ref := csi.NodePublishSecretRef; ref != nil {
		if len(ref.Name) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("nodePublishSecretRef", "name"), ""))
		} else {
			// ValidateSecretName is NameIsDNSSubdomain.
			for _, msg := range validation.IsDNS1123Subdomain(ref.Name) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), ref.Name, msg))
			}
		}
	}
	return allErrs
}
