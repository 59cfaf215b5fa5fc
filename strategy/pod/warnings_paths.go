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

package pod

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// volumePathWarnings mirrors warningsForOverlappingVirtualPaths
// (pkg/api/pod/warnings.go): within one configMap, secret, downwardAPI or
// projected volume, two items whose paths are equal or one a directory of
// the other would overwrite each other in the kubelet, so kube-apiserver
// warns; and a projected volume's empty source is pointed out. Items are
// compared in order, each with every earlier one.
func volumePathWarnings(volumes []corev1.Volume) []string {
	var warnings []string
	// check compares each path with the earlier ones of the same volume,
	// seen, and returns them with its paths added.
	check := func(v corev1.Volume, desc string, seen, paths []volumePath) []volumePath {
		for _, p := range paths {
			p.path = strings.TrimRight(p.path, "/")
			for _, c := range p.collisions(seen) {
				warnings = append(warnings, fmt.Sprintf("volume %q (%s): overlapping paths: %s with %s", v.Name, desc, p, c))
			}
			seen = append(seen, p)
		}
		return seen
	}
	for _, v := range volumes {
		if v.ConfigMap != nil && v.ConfigMap.Items != nil {
			check(v, fmt.Sprintf("ConfigMap %q", v.ConfigMap.Name), nil, keyPaths(v.ConfigMap.Items, ""))
		}
		if v.Secret != nil && v.Secret.Items != nil {
			check(v, fmt.Sprintf("Secret %q", v.Secret.SecretName), nil, keyPaths(v.Secret.Items, ""))
		}
		if v.DownwardAPI != nil && v.DownwardAPI.Items != nil {
			check(v, "DownwardAPI", nil, downwardPaths(v.DownwardAPI.Items, ""))
		}
		if v.Projected == nil {
			continue
		}
		// A projected volume's sources share one directory: each source's
		// paths are compared with those of the sources before it, and an
		// empty source is pointed out where it stands.
		var seen []volumePath
		for _, s := range v.Projected.Sources {
			if s == (corev1.VolumeProjection{}) {
				warnings = append(warnings, fmt.Sprintf("volume %q (Projected) has no sources provided", v.Name))
				continue
			}
			seen = check(v, "Projected", seen, projectionPaths(s))
		}
	}
	return warnings
}

// projectionPaths are the paths one projected source writes, named by the
// source as upstream's messages name them. Only the first source kind set
// counts (validation refuses a projection with more than one).
func projectionPaths(s corev1.VolumeProjection) []volumePath {
	switch {
	case s.ConfigMap != nil && s.ConfigMap.Items != nil:
		return keyPaths(s.ConfigMap.Items, fmt.Sprintf("ConfigMap %q", s.ConfigMap.Name))
	case s.Secret != nil && s.Secret.Items != nil:
		return keyPaths(s.Secret.Items, fmt.Sprintf("Secret %q", s.Secret.Name))
	case s.DownwardAPI != nil && s.DownwardAPI.Items != nil:
		return downwardPaths(s.DownwardAPI.Items, "DownwardAPI")
	case s.ServiceAccountToken != nil:
		return []volumePath{{s.ServiceAccountToken.Path, "ServiceAccountToken"}}
	case s.ClusterTrustBundle != nil:
		var name string
		if s.ClusterTrustBundle.Name != nil {
			name = *s.ClusterTrustBundle.Name
		} else if s.ClusterTrustBundle.SignerName != nil {
			name = *s.ClusterTrustBundle.SignerName
		}
		return []volumePath{{s.ClusterTrustBundle.Path, fmt.Sprintf("ClusterTrustBundle %q", name)}}
	case s.PodCertificate != nil:
		var out []volumePath
		for _, p := range []volumePath{
			{s.PodCertificate.CertificateChainPath, "PodCertificate chain"},
			{s.PodCertificate.KeyPath, "PodCertificate key"},
			{s.PodCertificate.CredentialBundlePath, "PodCertificate credential bundle"},
		} {
			if p.path != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// volumePath is a path a volume writes and what writes it ("" within a
// configMap, secret or downwardAPI volume, whose messages name the volume).
type volumePath struct {
	path, source string
}

func (p volumePath) String() string {
	if p.source == "" {
		return fmt.Sprintf("%q", p.path)
	}
	return fmt.Sprintf("%q (%s)", p.path, p.source)
}

// collisions are the earlier paths p would overwrite or be overwritten by:
// the same path, or one a directory of the other. An empty path collides
// with nothing.
func (p volumePath) collisions(earlier []volumePath) []volumePath {
	if p.path == "" {
		return nil
	}
	var out []volumePath
	for _, e := range earlier {
		if e.path == "" {
			continue
		}
		if strings.HasPrefix(e.path+"/", p.path+"/") || strings.HasPrefix(p.path+"/", e.path+"/") {
			out = append(out, e)
		}
	}
	return out
}

func keyPaths(items []corev1.KeyToPath, source string) []volumePath {
	out := make([]volumePath, 0, len(items))
	for _, it := range items {
		out = append(out, volumePath{it.Path, source})
	}
	return out
}

func downwardPaths(items []corev1.DownwardAPIVolumeFile, source string) []volumePath {
	out := make([]volumePath, 0, len(items))
	for _, it := range items {
		out = append(out, volumePath{it.Path, source})
	}
	return out
}
