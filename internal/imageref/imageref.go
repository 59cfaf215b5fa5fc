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

// Package imageref reads container image references the way Kubernetes
// components do, through github.com/distribution/reference: the API server
// to default imagePullPolicy (pkg/apis/core/v1/defaults.go,
// SetDefaults_Container, via pkg/util/parsers.ParseImageName) and the
// simulated kubelet to name images as containerd reports them
// ("busybox" is pulled as "docker.io/library/busybox:latest").
package imageref

import (
	// The digest algorithms a reference may use are those whose hash is
	// linked into the binary; kube-apiserver links both
	// (pkg/util/parsers imports them for this reason).
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/distribution/reference"
)

// DefaultsToAlways reports whether a container with this image and no
// imagePullPolicy gets Always: upstream's rule is "the tag is latest", where
// a reference with neither tag nor digest counts as latest. An image that
// does not parse gets IfNotPresent, as upstream's defaulting ignores the
// parse error.
func DefaultsToAlways(image string) bool {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return false
	}
	tagged, hasTag := named.(reference.Tagged)
	if hasTag {
		return tagged.Tag() == "latest"
	}
	_, hasDigest := named.(reference.Digested)
	return !hasDigest
}

// Normalize returns the fully qualified reference a container runtime pulls
// for image: docker.io and library/ filled in, ":latest" when the reference
// has neither tag nor digest. An image that does not parse is returned as is.
func Normalize(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	return reference.TagNameOnly(named).String()
}

// Parts splits image into the registry host, the repository path within it
// and the tag or digest a runtime resolves ("latest" when there is neither),
// after normalization. ok is false when the image does not parse.
func Parts(image string) (domain, path, ref string, ok bool) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", "", "", false
	}
	ref = "latest"
	if d, isDigested := named.(reference.Digested); isDigested {
		ref = d.Digest().String()
	} else if t, isTagged := named.(reference.Tagged); isTagged {
		ref = t.Tag()
	}
	return reference.Domain(named), reference.Path(named), ref, true
}

// Repository is the normalized name without tag or digest
// ("busybox:1.36" -> "docker.io/library/busybox"); an image that does not
// parse is returned as is.
func Repository(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	return named.Name()
}

// NameOnly reports whether image names a repository with neither tag nor
// digest ("busybox", not "busybox:1.36"); false when it does not parse.
func NameOnly(image string) bool {
	named, err := reference.ParseNormalizedNamed(image)
	return err == nil && reference.IsNameOnly(named)
}
