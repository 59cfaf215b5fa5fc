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
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Volume validation mirrors ValidateVolumes / validateVolumeSource
// (validation.go:453-820). Fully covered sources: emptyDir, hostPath,
// secret, persistentVolumeClaim, downwardAPI, configMap, projected (secret,
// configMap, downwardAPI, serviceAccountToken), ephemeral (presence and the
// derived PVC name; the claim template spec is not validated), image. Other
// sources count as "a volume type" but their contents are not validated.

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive"
const emptyDirModeErrorMsg = "must be a number between 0 and 01777 (octal), both inclusive"

var validVolumeDownwardAPIFieldPathExpressions = sets.New("metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid")

var supportedHostPathTypes = sets.New(
	corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory, corev1.HostPathFileOrCreate,
	corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev)

func validateVolumes(volumes []corev1.Volume, podMeta *metav1.ObjectMeta, fldPath *field.Path, opts podOpts) (map[string]corev1.VolumeSource, field.ErrorList) {
	allErrs := field.ErrorList{}
	allNames := sets.Set[string]{}
	createdPVCs := sets.Set[string]{}
	if podMeta != nil && podMeta.Name != "" {
		for _, v := range volumes {
			if v.Ephemeral != nil {
				createdPVCs.Insert(podMeta.Name + "-" + v.Name)
			}
		}
	}
	vols := map[string]corev1.VolumeSource{}
	for i, vol := range volumes {
		idxPath := fldPath.Index(i)
		namePath := idxPath.Child("name")
		el := validateVolumeSource(&vol.VolumeSource, idxPath, vol.Name, podMeta, opts)
		if len(vol.Name) == 0 {
			el = append(el, field.Required(namePath, ""))
		} else {
			el = append(el, validateDNS1123Label(vol.Name, namePath)...)
		}
		if allNames.Has(vol.Name) {
			el = append(el, field.Duplicate(namePath, vol.Name))
		}
		if len(el) == 0 {
			allNames.Insert(vol.Name)
			vols[vol.Name] = vol.VolumeSource
		} else {
			allErrs = append(allErrs, el...)
		}
		if vol.PersistentVolumeClaim != nil && createdPVCs.Has(vol.PersistentVolumeClaim.ClaimName) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("persistentVolumeClaim").Child("claimName"), vol.PersistentVolumeClaim.ClaimName,
				"must not reference a PVC that gets created for an ephemeral volume"))
		}
	}
	return vols, allErrs
}

// volumeSourceCheck is one entry of the upstream if-chain, in upstream order.
type volumeSourceCheck struct {
	set      bool
	name     string // path segment of the "more than 1 volume type" error
	validate func() field.ErrorList
}

func validateVolumeSource(s *corev1.VolumeSource, fldPath *field.Path, volName string, podMeta *metav1.ObjectMeta, opts podOpts) field.ErrorList {
	checks := []volumeSourceCheck{
		{s.EmptyDir != nil, "", func() field.ErrorList { return validateEmptyDir(s.EmptyDir, fldPath) }},
		{s.HostPath != nil, "hostPath", func() field.ErrorList { return validateHostPath(s.HostPath, fldPath.Child("hostPath")) }},
		{s.GitRepo != nil, "gitRepo", func() field.ErrorList { return validateGitRepoVolumeSource(s.GitRepo, fldPath.Child("gitRepo")) }},
		{s.GCEPersistentDisk != nil, "gcePersistentDisk", func() field.ErrorList {
			return validateGCEPersistentDiskVolumeSource(s.GCEPersistentDisk, fldPath.Child("persistentDisk"))
		}},
		{s.AWSElasticBlockStore != nil, "awsElasticBlockStore", func() field.ErrorList {
			return validateAWSElasticBlockStoreVolumeSource(s.AWSElasticBlockStore, fldPath.Child("awsElasticBlockStore"))
		}},
		{s.Secret != nil, "secret", func() field.ErrorList { return validateSecretVolume(s.Secret, fldPath.Child("secret")) }},
		{s.NFS != nil, "nfs", func() field.ErrorList { return validateNFSVolumeSource(s.NFS, fldPath.Child("nfs")) }},
		{s.ISCSI != nil, "iscsi", func() field.ErrorList { return validateISCSIVolumeSource(s.ISCSI, fldPath.Child("iscsi")) }},
		{s.Glusterfs != nil, "glusterfs", func() field.ErrorList { return validateGlusterfsVolumeSource(s.Glusterfs, fldPath.Child("glusterfs")) }},
		{s.Flocker != nil, "flocker", func() field.ErrorList { return validateFlockerVolumeSource(s.Flocker, fldPath.Child("flocker")) }},
		{s.PersistentVolumeClaim != nil, "persistentVolumeClaim", func() field.ErrorList {
			if len(s.PersistentVolumeClaim.ClaimName) == 0 {
				return field.ErrorList{field.Required(fldPath.Child("persistentVolumeClaim").Child("claimName"), "")}
			}
			return nil
		}},
		{s.RBD != nil, "rbd", func() field.ErrorList { return validateRBDVolumeSource(s.RBD, fldPath.Child("rbd")) }},
		{s.Cinder != nil, "cinder", func() field.ErrorList { return validateCinderVolumeSource(s.Cinder, fldPath.Child("cinder")) }},
		{s.CephFS != nil, "cephFS", func() field.ErrorList { return validateCephFSVolumeSource(s.CephFS, fldPath.Child("cephfs")) }},
		{s.Quobyte != nil, "quobyte", func() field.ErrorList { return validateQuobyteVolumeSource(s.Quobyte, fldPath.Child("quobyte")) }},
		// "downwarAPI" is upstream's spelling in this message.
		{s.DownwardAPI != nil, "downwarAPI", func() field.ErrorList { return validateDownwardAPIVolume(s.DownwardAPI, fldPath.Child("downwardAPI")) }},
		{s.FC != nil, "fc", func() field.ErrorList { return validateFCVolumeSource(s.FC, fldPath.Child("fc")) }},
		{s.FlexVolume != nil, "flexVolume", func() field.ErrorList { return validateFlexVolumeSource(s.FlexVolume, fldPath.Child("flexVolume")) }},
		{s.ConfigMap != nil, "configMap", func() field.ErrorList { return validateConfigMapVolume(s.ConfigMap, fldPath.Child("configMap")) }},
		{s.AzureFile != nil, "azureFile", func() field.ErrorList { return validateAzureFile(s.AzureFile, fldPath.Child("azureFile")) }},
		{s.VsphereVolume != nil, "vsphereVolume", func() field.ErrorList {
			return requiredString(s.VsphereVolume.VolumePath, "volumePath", fldPath.Child("vsphereVolume"))
		}},
		{s.PhotonPersistentDisk != nil, "photonPersistentDisk", func() field.ErrorList {
			return requiredString(s.PhotonPersistentDisk.PdID, "pdID", fldPath.Child("photonPersistentDisk"))
		}},
		{s.PortworxVolume != nil, "portworxVolume", func() field.ErrorList {
			return requiredString(s.PortworxVolume.VolumeID, "volumeID", fldPath.Child("portworxVolume"))
		}},
		{s.AzureDisk != nil, "azureDisk", func() field.ErrorList { return validateAzureDisk(s.AzureDisk, fldPath.Child("azureDisk")) }},
		{s.StorageOS != nil, "storageos", func() field.ErrorList { return validateStorageOSVolumeSource(s.StorageOS, fldPath.Child("storageos")) }},
		{s.Projected != nil, "projected", func() field.ErrorList { return validateProjectedVolume(s.Projected, fldPath.Child("projected"), opts) }},
		{s.ScaleIO != nil, "scaleIO", func() field.ErrorList { return validateScaleIOVolumeSource(s.ScaleIO, fldPath.Child("scaleIO")) }},
		{s.CSI != nil, "csi", func() field.ErrorList { return validateCSIVolumeSource(s.CSI, fldPath.Child("csi")) }},
		{s.Ephemeral != nil, "ephemeral", func() field.ErrorList {
			errs := validateEphemeralVolumeSource(s.Ephemeral, fldPath.Child("ephemeral"))
			if podMeta != nil && podMeta.Name != "" && volName != "" {
				pvcName := podMeta.Name + "-" + volName
				for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(pvcName, false) {
					errs = append(errs, field.Invalid(fldPath.Child("name"), volName, fmt.Sprintf("PVC name %q: %v", pvcName, msg)))
				}
			}
			return errs
		}},
		{s.Image != nil, "image", func() field.ErrorList {
			var errs field.ErrorList
			if !opts.AllowEmptyImageVolumeReference && len(s.Image.Reference) == 0 {
				errs = append(errs, field.Required(fldPath.Child("image").Child("reference"), ""))
			}
			return append(errs, validatePullPolicy(s.Image.PullPolicy, fldPath.Child("image").Child("pullPolicy"))...)
		}},
	}
	n := 0
	allErrs := field.ErrorList{}
	for _, c := range checks {
		if !c.set {
			continue
		}
		if n > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(c.name), "may not specify more than 1 volume type"))
		} else {
			n++
			allErrs = append(allErrs, c.validate()...)
		}
		// Upstream checks the iscsi volume name's length outside its
		// "first source" branch, so also when iscsi was refused as a
		// second source.
		if c.name == "iscsi" {
			allErrs = append(allErrs, iscsiVolumeNameLength(s.ISCSI, volName, fldPath)...)
		}
	}
	if n == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "must specify a volume type"))
	}
	return allErrs
}

func validateEmptyDir(e *corev1.EmptyDirVolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if e.SizeLimit != nil && e.SizeLimit.Cmp(resource.Quantity{}) < 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("emptyDir").Child("sizeLimit"), "SizeLimit field must be a valid resource quantity"))
	}
	if e.Mode != nil && (*e.Mode > 01777 || *e.Mode < 0) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("emptyDir").Child("mode"), *e.Mode, emptyDirModeErrorMsg))
	}
	return allErrs
}

func validateHostPath(h *corev1.HostPathVolumeSource, fldPath *field.Path) field.ErrorList {
	if len(h.Path) == 0 {
		return field.ErrorList{field.Required(fldPath.Child("path"), "")}
	}
	allErrs := validatePathNoBacksteps(h.Path, fldPath.Child("path"))
	if h.Type != nil && !supportedHostPathTypes.Has(*h.Type) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), h.Type, sets.List(supportedHostPathTypes)))
	}
	return allErrs
}

// validateUserField mirrors validateUserField (defaultUser / user of
// projected files).
func validateUserField(user *int64, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if user == nil {
		return allErrs
	}
	for _, msg := range validation.IsValidUserID(*user) {
		allErrs = append(allErrs, field.Invalid(p, *user, msg))
	}
	return allErrs
}

func validateMode(mode *int32, p *field.Path) field.ErrorList {
	if mode != nil && (*mode > 0777 || *mode < 0) {
		return field.ErrorList{field.Invalid(p, *mode, fileModeErrorMsg)}
	}
	return nil
}

func validateSecretVolume(s *corev1.SecretVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(s.SecretName) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("secretName"), ""))
	}
	allErrs = append(allErrs, validateMode(s.DefaultMode, fldPath.Child("defaultMode"))...)
	allErrs = append(allErrs, validateUserField(s.DefaultUser, fldPath.Child("defaultUser"))...)
	for i := range s.Items {
		allErrs = append(allErrs, validateKeyToPath(&s.Items[i], fldPath.Child("items").Index(i))...)
	}
	return allErrs
}

func validateConfigMapVolume(s *corev1.ConfigMapVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(s.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	}
	allErrs = append(allErrs, validateMode(s.DefaultMode, fldPath.Child("defaultMode"))...)
	allErrs = append(allErrs, validateUserField(s.DefaultUser, fldPath.Child("defaultUser"))...)
	for i := range s.Items {
		allErrs = append(allErrs, validateKeyToPath(&s.Items[i], fldPath.Child("items").Index(i))...)
	}
	return allErrs
}

func validateKeyToPath(kp *corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(kp.Key) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("key"), ""))
	}
	if len(kp.Path) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	allErrs = append(allErrs, validateLocalNonReservedPath(kp.Path, fldPath.Child("path"))...)
	allErrs = append(allErrs, validateMode(kp.Mode, fldPath.Child("mode"))...)
	allErrs = append(allErrs, validateUserField(kp.User, fldPath.Child("user"))...)
	return allErrs
}

func validateLocalNonReservedPath(targetPath string, fldPath *field.Path) field.ErrorList {
	allErrs := validateLocalDescendingPath(targetPath, fldPath)
	if strings.HasPrefix(targetPath, "..") && !strings.HasPrefix(targetPath, "../") {
		allErrs = append(allErrs, field.Invalid(fldPath, targetPath, "must not start with '..'"))
	}
	return allErrs
}

func validateDownwardAPIVolume(d *corev1.DownwardAPIVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateMode(d.DefaultMode, fldPath.Child("defaultMode"))
	allErrs = append(allErrs, validateUserField(d.DefaultUser, fldPath.Child("defaultUser"))...)
	for i := range d.Items {
		allErrs = append(allErrs, validateDownwardAPIVolumeFile(&d.Items[i], fldPath)...)
	}
	return allErrs
}

func validateDownwardAPIVolumeFile(file *corev1.DownwardAPIVolumeFile, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(file.Path) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	allErrs = append(allErrs, validateLocalNonReservedPath(file.Path, fldPath.Child("path"))...)
	if file.FieldRef != nil {
		allErrs = append(allErrs, validateObjectFieldSelector(file.FieldRef, validVolumeDownwardAPIFieldPathExpressions, fldPath.Child("fieldRef"))...)
		if file.ResourceFieldRef != nil {
			allErrs = append(allErrs, field.Invalid(fldPath, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
		}
	} else if file.ResourceFieldRef != nil {
		allErrs = append(allErrs, validateContainerResourceFieldSelector(file.ResourceFieldRef, validContainerResourceFieldPathExpressions, validContainerResourceFieldPathPrefixes, fldPath.Child("resourceFieldRef"), true)...)
	} else {
		allErrs = append(allErrs, field.Required(fldPath, "one of fieldRef and resourceFieldRef is required"))
	}
	allErrs = append(allErrs, validateMode(file.Mode, fldPath.Child("mode"))...)
	allErrs = append(allErrs, validateUserField(file.User, fldPath.Child("user"))...)
	return allErrs
}

func validateProjectedVolume(p *corev1.ProjectedVolumeSource, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := validateMode(p.DefaultMode, fldPath.Child("defaultMode"))
	allErrs = append(allErrs, validateUserField(p.DefaultUser, fldPath.Child("defaultUser"))...)
	allPaths := sets.Set[string]{}
	addPath := func(path, value string) {
		if allPaths.Has(path) {
			allErrs = append(allErrs, field.Invalid(fldPath, value, "conflicting duplicate paths"))
		} else {
			allPaths.Insert(path)
		}
	}
	for i, src := range p.Sources {
		n := 0
		srcPath := fldPath.Child("sources").Index(i)
		if src.Secret != nil {
			n++
			pp := srcPath.Child("secret")
			if len(src.Secret.Name) == 0 {
				allErrs = append(allErrs, field.Required(pp.Child("name"), ""))
			}
			for j := range src.Secret.Items {
				kp := &src.Secret.Items[j]
				allErrs = append(allErrs, validateKeyToPath(kp, pp.Child("items").Index(j))...)
				if len(kp.Path) > 0 {
					addPath(kp.Path, src.Secret.Name)
				}
			}
		}
		if src.ConfigMap != nil {
			n++
			pp := srcPath.Child("configMap")
			if len(src.ConfigMap.Name) == 0 {
				allErrs = append(allErrs, field.Required(pp.Child("name"), ""))
			}
			for j := range src.ConfigMap.Items {
				kp := &src.ConfigMap.Items[j]
				allErrs = append(allErrs, validateKeyToPath(kp, pp.Child("items").Index(j))...)
				if len(kp.Path) > 0 {
					addPath(kp.Path, src.ConfigMap.Name)
				}
			}
		}
		if src.DownwardAPI != nil {
			n++
			pp := srcPath.Child("downwardAPI")
			for j := range src.DownwardAPI.Items {
				f := &src.DownwardAPI.Items[j]
				allErrs = append(allErrs, validateDownwardAPIVolumeFile(f, pp)...)
				if len(f.Path) > 0 {
					addPath(f.Path, f.Path)
				}
			}
		}
		if src.ServiceAccountToken != nil {
			n++
			pp := srcPath.Child("serviceAccountToken")
			if exp := src.ServiceAccountToken.ExpirationSeconds; exp == nil {
				allErrs = append(allErrs, field.Required(pp.Child("expirationSeconds"), ""))
			} else {
				if *exp < 10*60 {
					allErrs = append(allErrs, field.Invalid(pp.Child("expirationSeconds"), *exp, "may not specify a duration less than 10 minutes"))
				}
				if *exp > 1<<32 {
					allErrs = append(allErrs, field.Invalid(pp.Child("expirationSeconds"), *exp, "may not specify a duration larger than 2^32 seconds"))
				}
			}
			if src.ServiceAccountToken.Path == "" {
				allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
			} else if !opts.AllowNonLocalProjectedTokenPath {
				allErrs = append(allErrs, validateLocalNonReservedPath(src.ServiceAccountToken.Path, fldPath.Child("path"))...)
			}
			allErrs = append(allErrs, validateUserField(src.ServiceAccountToken.User, pp.Child("user"))...)
		}
		if src.ClusterTrustBundle != nil {
			n++ // contents not covered
		}
		if src.PodCertificate != nil {
			n++ // contents not covered
		}
		if n > 1 {
			allErrs = append(allErrs, field.Forbidden(srcPath, "may not specify more than 1 volume type per source"))
		}
	}
	return allErrs
}
